import HTTPCodec
import SparkCodec

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
        guard HTTPFieldName.isValid(name) else {
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
    /// values decoded, as OpenTelemetry's form allows; a value whose escapes do not decode is kept as written). Entries without `=` are kept with an empty
    /// name, so that the check at start-up reports them instead of losing them silently.
    static func parseList(_ text: String) -> [RelayConfiguration.Tracing.Header] {
        text.split(separator: ",", omittingEmptySubsequences: true).compactMap { member in
            let trimmed = member.trimmingSpaces()
            guard !trimmed.isEmpty else { return nil }
            guard let equals = trimmed.firstIndex(of: "=") else {
                return RelayConfiguration.Tracing.Header(name: "", value: "")
            }
            let name = String(trimmed[..<equals]).trimmingSpaces()
            let raw = String(trimmed[trimmed.index(after: equals)...]).trimmingSpaces()
            let value = FormURLEncoding.decodePathSegment(raw) ?? raw
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
}
