import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` for one test (the Redis client's and the relay's engine tests): a free loopback port, a temporary directory, no persistence
/// (`--save "" --appendonly no`). Tests that need it are enabled only when the binary exists
/// (`RedisServer.isAvailable`), and say why they skip otherwise.
public final class RedisServer: Sendable {
    /// The server binary, if installed.
    public static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/sbin/redis-server"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// `true` when `redis-server` is installed.
    public static var isAvailable: Bool { binary != nil }

    /// Why Redis tests are skipped.
    public static let skipReason = "redis-server is not installed (apt-get install redis-server): skipping the tests against a real Redis"

    /// Why the server could not be started.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The port the server listens on (TLS port when `tls` was given).
    public let port: Int
    public let directory: URL
    private let arguments: [String]
    /// The running server's process, from `start()` until `kill()`.
    private let running = Mutex<Process?>(nil)

    /// Starts a server with `extraArguments` (e.g. `--requirepass`, `--enable-debug-command yes`).
    /// With `tls`, the port speaks TLS only (cert, key and CA paths).
    public init(extraArguments: [String] = [], tls: (certificate: String, key: String, ca: String)? = nil) async throws {
        port = try Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spark-relay-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.path,
                         "--logfile", directory.appendingPathComponent("redis.log").path, "--daemonize", "no"]
        if let tls {
            arguments += ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.certificate,
                          "--tls-key-file", tls.key, "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no"]
        } else {
            arguments += ["--port", String(port)]
        }
        self.arguments = arguments + extraArguments
        try await start()
    }

    /// Starts (or restarts, on the same port) the server and waits until it accepts connections.
    public func start() async throws {
        guard let binary = Self.binary else { throw Failure(description: "redis-server is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        running.withLock { $0 = process }
        // Readiness: the port accepts a TCP connection (bounded wait; Redis starts in milliseconds).
        for _ in 0..<500 {
            guard process.isRunning else {
                let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
                throw Failure(description: "redis-server exited with \(process.terminationStatus): \(log.suffix(2000))")
            }
            if Self.canConnect(port: port) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Failure(description: "redis-server did not listen on 127.0.0.1:\(port) within 5 s")
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    public func kill() {
        guard let process = running.withLock({ $0 }), process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        running.withLock { $0 = nil }
    }

    /// Stops the server and deletes its directory.
    public func stop() {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// A port that was free a moment ago (bind to 0, read it back, close).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
