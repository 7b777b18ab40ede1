import Glibc
import RelayIO

/// Which configuration file the relay loads, and how relative paths resolve.
///
/// The rule (README, "Configuration"): `--config FILE` when given (it must exist); otherwise the
/// first of `./Config/relay.json` (the repository's file, so `swift run spark-relay` from the
/// repository root behaves as before) and `/etc/spark-relay/relay.json` (an installed relay) that
/// exists; otherwise none, and the built-in defaults apply. Relative paths, in flags and inside the
/// file alike (`--config`, `server.public_dir`, `upstream.ca_file`), resolve against the working
/// directory, as in a shell; the systemd unit sets `WorkingDirectory` for that reason.
public enum ConfigFileLocator {
    /// Where the configuration is looked for when `--config` is not given, in order.
    public static let searchOrder = [ConfigLoader.defaultPath, "/etc/spark-relay/relay.json"]

    /// The outcome: the file to load (absolute) or none, and what was looked at.
    public struct Location: Sendable, Equatable {
        /// The absolute path of the file to load; `nil` when none was found (built-in defaults).
        public var path: String?
        /// The absolute paths looked at, in order (empty when the file was given explicitly).
        public var searched: [String]
    }

    /// Finds the file: `explicit` (made absolute) when given, else the first of `searchOrder` that
    /// `exists`.
    public static func locate(explicit: String?, workingDirectory: String,
                              exists: (String) -> Bool = { FileSystem.kind(of: $0) != .missing }) -> Location {
        if let explicit {
            return Location(path: absolute(explicit, relativeTo: workingDirectory), searched: [])
        }
        let candidates = searchOrder.map { absolute($0, relativeTo: workingDirectory) }
        return Location(path: candidates.first(where: exists), searched: candidates)
    }

    /// `path` when absolute, else `path` below `base`; `.` and `..` segments removed (symlinks are
    /// left alone: the log shows the path as configured).
    public static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base : base + "/") + path
        var segments: [Substring] = []
        for segment in joined.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        return "/" + segments.joined(separator: "/")
    }

    /// The process's working directory (`/` if it cannot be read, e.g. it was removed).
    public static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }
}
