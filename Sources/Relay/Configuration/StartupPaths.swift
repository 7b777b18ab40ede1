import RelayIO
import Logging

/// What the start-up log says about files, right after the listening line: the configuration file
/// loaded (absolute) or that built-in defaults apply, and the absolute directory served at `/`, with
/// a warning when `/` is going to answer 404 and the setting that changes it.
public struct StartupPaths: Sendable, Equatable {
    /// Where the configuration came from.
    public var config: ConfigFileLocator.Location
    /// `server.public_dir` as configured.
    public var publicDirectorySetting: String
    /// `server.public_dir` made absolute.
    public var publicDirectory: String
    /// The working directory relative paths resolved against.
    public var workingDirectory: String

    /// What is at `publicDirectory`.
    public enum PublicDirectoryState: Sendable, Equatable {
        case ready, missing, notADirectory, noIndex
    }

    public init(config: ConfigFileLocator.Location, publicDirectorySetting: String, workingDirectory: String) {
        self.config = config
        self.publicDirectorySetting = publicDirectorySetting
        self.publicDirectory = ConfigFileLocator.absolute(publicDirectorySetting, relativeTo: workingDirectory)
        self.workingDirectory = workingDirectory
    }

    /// Looks at the file system.
    public func publicDirectoryState() -> PublicDirectoryState {
        switch FileSystem.kind(of: publicDirectory) {
        case .missing: return .missing
        case .directory: return FileSystem.kind(of: publicDirectory + "/index.html") != .missing ? .ready : .noIndex
        case .regularFile, .other: return .notADirectory
        }
    }

    /// One log record: level, message, metadata.
    public struct Line: Sendable, Equatable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    /// The records to log, in order.
    public func lines(publicDirectoryState state: PublicDirectoryState? = nil) -> [Line] {
        var lines: [Line] = []
        if let path = config.path {
            lines.append(Line(level: .notice, message: "config file \(path)", metadata: ["config.file": path]))
        } else {
            lines.append(Line(
                level: .notice,
                message: "no config file found (looked for \(config.searched.joined(separator: " and "))): built-in defaults apply; pass --config FILE to use one",
                metadata: ["config.file": "none"]))
        }
        let relative = publicDirectorySetting.hasPrefix("/") ? "" : " (server.public_dir \"\(publicDirectorySetting)\" relative to the working directory \(workingDirectory))"
        let fix = "set server.public_dir in the config file to the directory that holds the demo page (Public/ in the repository)"
        switch state ?? publicDirectoryState() {
        case .ready:
            lines.append(Line(level: .notice, message: "serving \(publicDirectory) at /", metadata: ["public_dir": publicDirectory]))
        case .missing:
            lines.append(Line(level: .warning, message: "public directory \(publicDirectory) does not exist\(relative): / and every static file will answer 404; \(fix)",
                              metadata: ["public_dir": publicDirectory]))
        case .notADirectory:
            lines.append(Line(level: .warning, message: "public directory \(publicDirectory) is not a directory\(relative): / and every static file will answer 404; \(fix)",
                              metadata: ["public_dir": publicDirectory]))
        case .noIndex:
            lines.append(Line(level: .warning, message: "public directory \(publicDirectory) has no index.html\(relative): / will answer 404; \(fix)",
                              metadata: ["public_dir": publicDirectory]))
        }
        return lines
    }

    /// Writes `lines()` to `logger`.
    public func log(to logger: Logger) {
        for line in lines() {
            logger.log(level: line.level, "\(line.message)", metadata: line.metadata.mapValues { .string($0) })
        }
    }
}
