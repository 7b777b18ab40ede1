/// How log records are written to standard error (`log.format`, `--log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-25T10:00:00.123Z info spark-relay: message key=value …`, for people.
    case text
    /// One JSON object per line (`timestamp`, `level`, `logger`, `message`, then each metadata
    /// key as a field), for log shippers such as Loki, Elasticsearch or journald exports.
    case json

    /// The accepted values, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: " or ") }
}
