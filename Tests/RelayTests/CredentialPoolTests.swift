import Foundation
import Logging
import RelayIO
import SparkCodec
import Synchronization
import Testing
@testable import Relay

@Suite struct CredentialPoolTests {
    final class Clock: @unchecked Sendable {
        var now = 0.0
    }

    private func apps(_ count: Int) -> [SparkCredentials] {
        (0..<count).map { SparkCredentials(appID: "app\($0)", apiKey: "key\($0)", apiSecret: "secret\($0)") }
    }

    @Test func leasesTheLeastLoadedApp() {
        let pool = CredentialPool(credentials: apps(2))
        let a = pool.tryAcquire()
        let b = pool.tryAcquire()
        #expect(Set([a?.index, b?.index]) == [0, 1])
        pool.release(a!)
        #expect(pool.tryAcquire()?.index == a?.index)
    }

    @Test func concurrencyAndQPSLimitsAreRespected() {
        let clock = Clock()
        let pool = CredentialPool(credentials: apps(1), maxConcurrency: 2, maxQPS: 3, clock: { clock.now })
        let first = pool.tryAcquire()
        let second = pool.tryAcquire()
        #expect(first != nil && second != nil)
        #expect(pool.tryAcquire() == nil)  // concurrency 2
        pool.release(first!)
        pool.release(second!)
        #expect(pool.tryAcquire() != nil)
        #expect(pool.tryAcquire() == nil)  // 3 per second used up (the third was taken above)
        clock.now = 1.0
        #expect(pool.tryAcquire() != nil)
    }

    @Test func anAppMarkedDownIsSkippedUntilItsCooloffEnds() {
        let clock = Clock()
        let pool = CredentialPool(credentials: apps(2), cooloff: 30, clock: { clock.now })
        let lease = pool.tryAcquire(excluding: [1])!
        pool.markDown(lease, reason: "upstream_unauthorized")
        pool.release(lease)
        #expect(pool.state.map(\.up) == [false, true])
        #expect(pool.tryAcquire(excluding: [1]) == nil)
        clock.now = 31
        #expect(pool.tryAcquire(excluding: [1])?.index == 0)
    }

    @Test func waitersGiveUpAfterTheQueueTimeout() {
        let pool = CredentialPool(credentials: apps(1), maxConcurrency: 1, queueTimeout: 0.1, maxQueued: 1)
        let held = pool.tryAcquire()!
        let loop = EventLoop(index: 0, label: "test.pool")
        let outcomes = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<2 {
            pool.acquire(on: loop) { result in
                outcomes.withLock { $0.append((try? result.get()) == nil ? "busy" : "leased") }
                done.signal()
            }
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(outcomes.withLock { $0 } == ["busy", "busy"])  // one refused at once (queue full), one timed out
        pool.release(held)
        #expect(pool.queued == 0)
    }
}

/// Failover through a real simulator: a bad app is skipped before anything is relayed, never after.
@Suite struct FailoverTests {
    static func relay(pool credentials: [SparkCredentials], simulatorHost: RelayApplication) throws -> (RelayApplication, Int) {
        var configuration = RelayConfiguration()
        configuration.server.port = 0
        configuration.server.eventLoops = 1
        let pool = CredentialPool(credentials: credentials, cooloff: 60)
        let base = simulatorHost.upstream
        let settings = UpstreamSettings(credentials: credentials[0], base: base.base, httpBase: base.http.base, models: base.models, tls: nil,
                                        configuration: base.configuration, mode: .spark, pool: pool)
        let logger = Logger(label: "test") { label in RelayLogHandler(label: label, level: .critical, sink: { _ in }) }
        let relay = try RelayApplication(configuration: configuration, logger: logger, upstream: settings)
        return (relay, try relay.start().port)
    }

    @Test func aRejectedAppFailsOverToTheNextOne() throws {
        let (simulatorHost, _) = try ChatStreamTests.relay()
        defer { simulatorHost.shutdown() }
        let good = simulatorHost.upstream.credentials
        let bad = SparkCredentials(appID: good.appID, apiKey: good.apiKey, apiSecret: "not-it")
        let (relay, port) = try Self.relay(pool: [bad, good], simulatorHost: simulatorHost)
        defer { relay.shutdown() }
        for _ in 0..<3 {
            let client = try TestHTTPClient(port: port)
            client.postJSON("/chat/stream", #"{"prompt":"failover"}"#)
            let response = try client.readStream()
            #expect(response.terminal?.type == "done")
        }
        #expect(relay.upstream.pool.state.map(\.up) == [false, true])
        let metrics = String(decoding: relay.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"relay_credential_up{app="\#(good.appID)"} "#))
        #expect(metrics.contains(#"relay_upstream_errors_total{code="upstream_unauthorized"} 1"#))
    }

    @Test func noRetryOnceFramesWereRelayed() throws {
        let (simulatorHost, _) = try ChatStreamTests.relay()
        defer { simulatorHost.shutdown() }
        let good = simulatorHost.upstream.credentials
        let (relay, port) = try Self.relay(pool: [good, good], simulatorHost: simulatorHost)
        defer { relay.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"late [[error:11202@2]]"}"#)
        let response = try client.readStream()
        #expect(response.dataEvents.count == 2)
        #expect(response.errorObject?["code"] as? Int == 11202)
        #expect(simulatorHost.simulator?.acceptedRequests == 1)
        // Before any frame, the same error fails over to the other app.
        client.postJSON("/chat/stream", #"{"prompt":"early [[error:11202]]"}"#)
        let retried = try client.readStream()
        #expect(retried.errorObject?["code"] as? Int == 11202)
        #expect(simulatorHost.simulator?.acceptedRequests == 3)
    }
}
