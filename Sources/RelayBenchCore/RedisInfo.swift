/// Why a field could not be read from a Redis `INFO` reply.
public enum RedisInfoError: Error, Equatable, CustomStringConvertible {
    /// The reply has no line `name:…`.
    case missing(String)
    /// The line is there but its value is not a non-negative integer.
    case notAnInteger(String, String)

    public var description: String {
        switch self {
        case .missing(let name): return "INFO reply has no '\(name):' line"
        case .notAnInteger(let name, let value): return "INFO field \(name) is '\(value)', not a non-negative integer"
        }
    }
}

/// Reads fields of a Redis `INFO` reply: `# Section` headers, then `name:value` lines ended by CRLF
/// (redis.io, "INFO"; `"\r\n"` is one `Character` in Swift, hence `isNewline`). Pure: the bench's Redis probe fetches the text.
public enum RedisInfo {
    /// The integer value of `name` (`used_memory` in `INFO memory`, in bytes).
    public static func integer(_ name: String, in info: String) throws(RedisInfoError) -> Int {
        for line in info.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon] == name else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            guard let number = Int(value), number >= 0 else { throw .notAnInteger(name, String(value)) }
            return number
        }
        throw .missing(name)
    }
}

private extension Substring {
    /// Without leading and trailing characters of `set`.
    func trimmingCharacters(in set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return text
    }
}
