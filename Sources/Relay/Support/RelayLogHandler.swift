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
        var merged: Logger.Metadata
        if let extra = event.metadata {
            if metadata.isEmpty {
                merged = extra
            } else {
                merged = metadata
                merged.merge(extra) { _, new in new }
            }
        } else {
            merged = metadata
        }
        if format == .json {
            sink(JSONLogLine.encode(timestamp: Self.timestamp(), level: event.level, label: label,
                                    message: "\(event.message)", metadata: merged))
            return
        }
        var line = Self.timestamp()
        line.reserveCapacity(160)
        line += " "
        line += event.level.rawValue
        line += " "
        line += label
        line += ": "
        line += event.message.description
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += Self.quoteIfNeeded(value.description)
        }
        sink(line)
    }

    /// The value as is, or quoted and escaped when it holds a space, `"`, `=`, or a line break.
    /// Decided on UTF-8 bytes (this runs for every field of every access line); non-ASCII text is
    /// checked by `Character` only for the line breaks it can hold (NEL, LS, PS).
    static func quoteIfNeeded(_ value: String) -> String {
        var needsQuotes = value.isEmpty
        var hasNonASCII = false
        for byte in value.utf8 {
            switch byte {
            case 0x20, 0x22, 0x3D, 0x0A...0x0D: needsQuotes = true
            case 0x80...: hasNonASCII = true
            default: break
            }
            if needsQuotes { break }
        }
        if !needsQuotes && hasNonASCII { needsQuotes = value.contains(where: \.isNewline) }
        guard needsQuotes else { return value }
        var escaped = "\""
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
        escaped += "\""
        return escaped
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return timestamp(seconds: now.tv_sec, milliseconds: now.tv_nsec / 1_000_000)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) for a moment in seconds since the epoch, written digit by digit.
    static func timestamp(seconds: Int, milliseconds: Int) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func put(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = max(0, value)
            if rest >= divisor * 10 { bytes.append(contentsOf: String(rest).utf8); return }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, 4); bytes.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mon) + 1, 2); bytes.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mday), 2); bytes.append(UInt8(ascii: "T"))
        put(Int(parts.tm_hour), 2); bytes.append(UInt8(ascii: ":"))
        put(Int(parts.tm_min), 2); bytes.append(UInt8(ascii: ":"))
        put(Int(parts.tm_sec), 2); bytes.append(UInt8(ascii: "."))
        put(milliseconds, 3); bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
