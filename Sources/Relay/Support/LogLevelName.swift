import Logging

/// The log level names accepted by `--log-level` and `log.level`.
public enum LogLevelName {
    public static let all = Logger.Level.allCases.map(\.rawValue)

    /// The level for `name`, or `nil`.
    public static func parse(_ name: String) -> Logger.Level? {
        Logger.Level(rawValue: name.lowercased())
    }
}
