import Glibc
import Logging

/// A swift-log handler writing one line per record to standard error, as text
/// (`2026-11-25T10:00:00.123Z info spark-relay: message key=value …`) or as one JSON object
/// (`LogFormat.json`, see `JSONLogLine`). Values are printed as given in both formats: callers
/// never put secrets in metadata (see `SparkCredentials`).
public struct RelayLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: LogFormat
    private let sink: @Sendable (String) -> Void

    /// A handler writing to standard error.
    public init(label: String, level: Logger.Level, format: LogFormat = .text) {
        self.init(label: label, level: level, format: format, sink: { line in
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        })
    }

    /// A handler writing lines to `sink` (tests capture logs this way).
    public init(label: String, level: Logger.Level, format: LogFormat = .text, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if format == .json {
            sink(JSONLogLine.encode(timestamp: Self.timestamp(), level: event.level, label: label,
                                    message: "\(event.message)", metadata: merged))
            return
        }
        var line = "\(Self.timestamp()) \(event.level.rawValue) \(label): \(event.message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quoteIfNeeded("\(merged[key]!)"))"
        }
        sink(line)
    }

    private static func quoteIfNeeded(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else { return value }
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"\(escaped)\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(now.tv_nsec / 1_000_000, 3))Z"
    }
}
