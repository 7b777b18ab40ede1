/// Header-list helpers for the handshake: building a head, and case-insensitive lookups on
/// `[(name, value)]` lists.
extension WebSocketHandshake {
    /// A start line plus header lines, each ending in CRLF, then the blank line.
    static func head(startLine: String, headers: [(String, String)]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        appendLine(startLine, to: &out)
        for (name, value) in headers {
            appendLine("\(name): \(value)", to: &out)
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    /// Appends one line and its CRLF; traps on CR, LF or NUL inside it (header injection).
    static func appendLine(_ line: String, to out: inout [UInt8]) {
        var line = line
        line.withUTF8 { bytes in
            precondition(!bytes.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }, "CR, LF or NUL in a handshake header line")
            out.append(contentsOf: bytes)
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// Every value of header `name`, in order.
    static func values(of name: String, in headers: [(String, String)]) -> [String] {
        headers.filter { equalsIgnoringCase($0.0, name) }.map(\.1)
    }

    /// The comma-separated tokens of every `name` field, trimmed, empty ones dropped.
    static func tokens(of name: String, in headers: [(String, String)]) -> [String] {
        values(of: name, in: headers).flatMap { value in
            value.split(separator: ",").map { trimmed(String($0)) }.filter { !$0.isEmpty }
        }
    }

    /// `value` without leading and trailing spaces and tabs (HTTP optional whitespace).
    static func trimmed(_ value: String) -> String {
        var bytes = Substring(value).utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return String(Substring(bytes))
    }

    /// ASCII case-insensitive equality (header names and tokens).
    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        let a = lhs.utf8
        let b = rhs.utf8
        guard a.count == b.count else { return false }
        let compared = a.withContiguousStorageIfAvailable { l in
            b.withContiguousStorageIfAvailable { r in
                for index in 0..<l.count where l[index] != r[index] && lowercased(l[index]) != lowercased(r[index]) { return false }
                return true
            }
        }
        if let compared, let compared { return compared }
        return zip(a, b).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}
