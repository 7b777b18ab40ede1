/// The header fields the relay sends its trace collector (`tracing.headers`, or
/// `SPARK_RELAY_TRACING_HEADERS` in OpenTelemetry's `name=value,name=value` form): checked so that
/// no export request can carry a broken or smuggled field, and never logged (they hold credentials).
enum TracingHeaders {
    /// The environment variable that wins over `tracing.headers`.
    static let environmentVariable = "SPARK_RELAY_TRACING_HEADERS"

    /// Fields the exporter writes itself; a configured one would contradict it.
    static let reserved: Set<String> = ["host", "content-type", "content-length", "transfer-encoding", "connection"]

    /// Why `name` cannot be a header field name (`nil`: it can).
    static func nameProblem(_ name: String) -> String? {
        guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
            return "must be a header field name (letters, digits and !#$%&'*+-.^_`|~), got '\(name.prefix(64))'"
        }
        if reserved.contains(name.lowercased()) { return "'\(name)' is set by the exporter itself" }
        return nil
    }

    /// Why `value` cannot be a header field value (`nil`: it can). The value is never quoted back:
    /// it may be a credential.
    static func valueProblem(_ value: String) -> String? {
        let acceptable = value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
        return acceptable ? nil : "must not hold control characters (CR, LF, NUL …)"
    }

    /// Parses `name=value,name=value` (spaces around names and values ignored; `%XX` escapes in
    /// values decoded, as OpenTelemetry's form allows). Entries without `=` are kept with an empty
    /// name, so that the check at start-up reports them instead of losing them silently.
    static func parseList(_ text: String) -> [RelayConfiguration.Tracing.Header] {
        text.split(separator: ",", omittingEmptySubsequences: true).compactMap { member in
            let trimmed = member.trimmingSpaces()
            guard !trimmed.isEmpty else { return nil }
            guard let equals = trimmed.firstIndex(of: "=") else {
                return RelayConfiguration.Tracing.Header(name: "", value: "")
            }
            let name = String(trimmed[..<equals]).trimmingSpaces()
            let value = percentDecoded(String(trimmed[trimmed.index(after: equals)...]).trimmingSpaces())
            return RelayConfiguration.Tracing.Header(name: name, value: value)
        }
    }

    /// Checks every header: the first problem, with the name of the setting it came from.
    static func validate(_ headers: [RelayConfiguration.Tracing.Header]) throws(ConfigError) {
        for (index, header) in headers.enumerated() {
            if let problem = nameProblem(header.name) ?? valueProblem(header.value) {
                throw ConfigError(key: "tracing.headers[\(index)] (or \(environmentVariable))", message: problem)
            }
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    private static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1]) {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
