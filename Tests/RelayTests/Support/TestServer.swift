import Foundation
import HTTPCodec
import Logging
@testable import Relay
import RelayIO
import Tracing

/// Starts a `RelayServer` on 127.0.0.1 port 0 for one test and shuts it down afterwards.
final class TestServer: @unchecked Sendable {
    let server: RelayServer
    let port: Int
    let logs = LogCapture()

    init(configure: (inout RelayConfiguration) -> Void = { _ in }, routes: (inout Router) -> Void = { _ in }) throws {
        var configuration = RelayConfiguration()
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.eventLoops = 2
        configuration.server.drainTimeout = 5
        configure(&configuration)
        var router = Router()
        routes(&router)
        let logs = self.logs
        let logger = Logger(label: "test") { label in
            RelayLogHandler(label: label, level: .debug, sink: { logs.append($0) })
        }
        server = RelayServer(configuration: configuration, router: router, logger: logger)
        port = try server.start().port
    }

    /// A whole relay application (real routes) with test settings.
    static func application(tracer: (any Tracer)? = nil,
                            configure: (inout RelayConfiguration) -> Void = { _ in }) throws -> (RelayApplication, Int, LogCapture) {
        var configuration = RelayConfiguration()
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.eventLoops = 2
        configuration.server.publicDirectory = TestPaths.publicDirectory
        configure(&configuration)
        let logs = LogCapture()
        let logger = Logger(label: "test") { label in
            RelayLogHandler(label: label, level: .debug, sink: { logs.append($0) })
        }
        let application = try RelayApplication(configuration: configuration, logger: logger, tracer: tracer)
        let port = try application.start().port
        return (application, port, logs)
    }

    func client(timeout: Double = 10) throws -> TestHTTPClient {
        try TestHTTPClient(port: port, timeout: timeout)
    }

    func stop() {
        let done = DispatchSemaphore(value: 0)
        server.shutdown { done.signal() }
        done.wait()
    }

    deinit {
        if server.lifecycleState == .running { stop() }
    }
}

/// Collects log lines from any thread.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ line: String) {
        lock.lock()
        storage.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

enum TestPaths {
    /// The repository root (this file is Tests/RelayTests/Support/TestServer.swift).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var publicDirectory: String { repositoryRoot + "/Public" }
}
