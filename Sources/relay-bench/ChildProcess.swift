import Foundation
import RelayBenchCore
import Synchronization

/// Why a child process could not be started or did not come up.
enum ChildProcessError: Error, CustomStringConvertible {
    case spawn(String, Int32)
    case notListening(String, String)

    var description: String {
        switch self {
        case .spawn(let path, let code): return "cannot start \(path): \(String(cString: strerror(code)))"
        case .notListening(let name, let log): return "\(name) did not report its address; log:\n\(log)"
        }
    }
}

/// A process the bench started (simulator, relay, nginx), with stdout and stderr in a log file. Only
/// this process (by its pid) is ever signalled.
final class ChildProcess: Sendable {
    let name: String
    let pid: pid_t
    let logPath: String
    private let reaped = Atomic<Bool>(false)

    /// Starts `path` with `arguments` and `environment` (added to the bench's own, less `removed`); it runs in the bench's
    /// working directory (`directory` is where the caller expects it to be, for the log message only).
    init(name: String, path: String, arguments: [String], environment: [String: String], directory: String,
         logPath: String, removing removed: Set<String> = []) throws(ChildProcessError) {
        self.name = name
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        for key in removed { merged.removeValue(forKey: key) }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, path, &actions, nil, argv, envp)
        guard status == 0 else { throw .spawn(path, status) }
        pid = child
    }

    /// The log so far.
    var log: String {
        (FileManager.default.contents(atPath: logPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Waits until the log has a line containing `marker` followed by a URL; returns the port at its end.
    func waitForListening(marker: String, timeout: Double) throws(ChildProcessError) -> Int {
        let deadline = WallClock.monotonicSeconds() + timeout
        while WallClock.monotonicSeconds() < deadline {
            for line in log.split(separator: "\n") {
                guard let range = line.range(of: marker) else { continue }
                let rest = line[range.upperBound...].prefix { !$0.isWhitespace }
                if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...].prefix(while: \.isNumber)) {
                    return port
                }
            }
            if !isRunning { break }
            usleep(2_000)
        }
        throw .notListening(name, log)
    }

    /// `true` while the process has not exited.
    var isRunning: Bool {
        guard !reaped.load(ordering: .acquiring) else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            reaped.store(true, ordering: .releasing)
            return false
        }
        return true
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; reaps the child.
    func stop(grace: Double = 5) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = WallClock.monotonicSeconds() + grace
        while WallClock.monotonicSeconds() < deadline {
            if !isRunning { return }
            usleep(5_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        reaped.store(true, ordering: .releasing)
    }
}
