import Foundation
import Logging
import RelayTestSupport
import Testing
@testable import Relay

/// One real `redis-server` and the in-process relays that share it through the Redis engine, for
/// the cluster tests: each relay joins once its engine reports `ok`, and `stop()` shuts down every
/// relay still running, then Redis.
final class RedisFleet {
    let redis: RedisServer
    private var running: [RelayApplication] = []

    init() async throws {
        redis = try await RedisServer()
    }

    /// Starts a relay with its embedded simulator on this Redis as `instance`; `configure` runs last.
    func relay(_ instance: String, _ configure: (inout RelayConfiguration) -> Void = { _ in })
        throws -> (RelayApplication, Int, LogCapture) {
        let redisPort = redis.port
        let (application, port, logs) = try TestServer.application { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            Self.join(&configuration, redisPort: redisPort, instance: instance)
            configuration.cluster.followPollInterval = 0.01
            configure(&configuration)
        }
        try admit(application, port: port)
        return (application, port, logs)
    }

    /// A relay on the same Spark app as `host` (same credentials, same simulator) with its own
    /// credential pool, so that only Redis can make their limits shared.
    func sibling(of host: RelayApplication, _ instance: String, _ configure: (inout RelayConfiguration) -> Void)
        throws -> (RelayApplication, Int) {
        var configuration = RelayConfiguration()
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.eventLoops = 2
        Self.join(&configuration, redisPort: redis.port, instance: instance)
        configure(&configuration)
        let upstream = host.upstream
        let settings = try UpstreamSettings.make(from: configuration.upstream, mode: .spark, credentials: upstream.credentials,
                                                 base: upstream.base)
        let logger = Logger(label: "test") { label in RelayLogHandler(label: label, level: .critical, sink: { _ in }) }
        let application = try RelayApplication(configuration: configuration, logger: logger, upstream: settings)
        let port = try application.start().port
        try admit(application, port: port)
        return (application, port)
    }

    /// Shuts `application` down now (the others keep running until `stop()`).
    func shutdown(_ application: RelayApplication) {
        running.removeAll { $0 === application }
        application.shutdown()
    }

    /// Shuts down every relay still running, then Redis.
    func stop() {
        for application in running { application.shutdown() }
        running = []
        redis.stop()
    }

    /// Waits (bounded) until the relay's `/healthz` reports `engine_status`, and returns that answer.
    @discardableResult
    static func awaitEngineStatus(_ port: Int, _ status: String, timeout: Double = 10) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let client = try TestHTTPClient(port: port)
            last = try client.request("GET", "/healthz").json ?? [:]
            if last["engine_status"] as? String == status { return last }
            usleep(20_000)
        }
        Issue.record("engine_status stayed \(last["engine_status"] ?? "absent"), expected \(status)")
        return last
    }

    private static func join(_ configuration: inout RelayConfiguration, redisPort: Int, instance: String) {
        configuration.cluster.engine = .redis
        configuration.cluster.redisURL = "redis://127.0.0.1:\(redisPort)/0"
        configuration.cluster.instanceID = instance
        configuration.cluster.heartbeatInterval = 0.2
    }

    private func admit(_ application: RelayApplication, port: Int) throws {
        running.append(application)
        try Self.awaitEngineStatus(port, "ok")
    }
}
