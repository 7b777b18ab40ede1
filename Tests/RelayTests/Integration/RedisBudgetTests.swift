import Foundation
import RelayTestSupport
import Testing
@testable import Relay

/// Budgets with the Redis engine: two relays (in-process, each with its embedded simulator) count
/// one budget in one real `redis-server`, report each other's use, and follow
/// `auth.budget_when_engine_down` while Redis is gone.
@Suite(.serialized, .enabled(if: RedisServer.isAvailable, Comment(rawValue: RedisServer.skipReason)))
struct RedisBudgetTests {
    static let key = "redis-budget-key-51"
    static let freeKey = "redis-budget-free-key-52"
    static let adminKey = "redis-budget-admin-key-53"

    static func relay(redisPort: Int, instance: String, tokens: Int? = nil, requests: Int? = nil,
                      whenDown: BudgetFailureMode = .closed) throws -> (RelayApplication, Int) {
        let (application, port, _) = try RedisEngineTests.relay(redisPort: redisPort, instance: instance) { configuration in
            configuration.auth = .init(enabled: true, keys: [.init(name: "team-a", sha256: NamedKeyTests.hash(Self.key)),
                                                             .init(name: "team-free", sha256: NamedKeyTests.hash(Self.freeKey))])
            configuration.auth.adminKeyHashes = [NamedKeyTests.hash(Self.adminKey)]
            configuration.auth.keys[0].budget = KeyBudget(tokens: tokens, requests: requests, period: .day)
            configuration.auth.budgetUTCOffset = "+08:00"
            configuration.auth.budgetWhenEngineDown = whenDown
        }
        return (application, port)
    }

    static func headers(_ key: String) -> [(String, String)] { [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")] }

    /// Waits (bounded) until `/healthz` on `port` reports the engine `status`.
    static func awaitEngine(_ port: Int, _ status: String) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if try TestHTTPClient(port: port).request("GET", "/healthz").json?["engine_status"] as? String == status { return }
            usleep(20_000)
        }
        Issue.record("the engine did not become \(status)")
    }

    /// `/v1/usage` of `key` on `port`.
    static func usage(_ port: Int, key: String = key) throws -> [String: Any] {
        let response = try TestHTTPClient(port: port).request("GET", "/v1/usage", headers: headers(key))
        #expect(response.status == 200, "\(response.text)")
        return response.json ?? [:]
    }

    @Test func twoRelaysShareOneRequestBudget() async throws {
        let redis = try await RedisServer()
        let (a, portA) = try Self.relay(redisPort: redis.port, instance: "a", requests: 3)
        let (b, portB) = try Self.relay(redisPort: redis.port, instance: "b", requests: 3)
        defer { a.shutdown(); b.shutdown(); redis.stop() }
        try Self.awaitEngine(portA, "ok")
        try Self.awaitEngine(portB, "ok")
        var statuses: [Int] = []
        for port in [portA, portB, portA, portB] {
            let client = try TestHTTPClient(port: port)
            let response = try client.request("POST", "/v1/chat/completions", headers: Self.headers(Self.key),
                                              body: #"{"model":"lite","messages":[{"role":"user","content":"count"}]}"#)
            statuses.append(response.status)
            if response.status == 429 {
                #expect(response.errorCode == "budget_exceeded")
                #expect(response.text.contains("key 'team-a' used 3 of 3 requests today; resets at "))
                #expect(Int(response.headers["Retry-After"] ?? "") ?? 0 > 0)
            }
        }
        #expect(statuses == [200, 200, 200, 429])
        #expect((a.simulator?.acceptedRequests ?? 0) + (b.simulator?.acceptedRequests ?? 0) == 3)
        // Each relay reports the fleet's use, tokens included once both conversations' ends are counted.
        let report = try Self.usage(portA)
        #expect((report["requests"] as? [String: Any])?["used"] as? Int == 3)
        #expect((report["requests"] as? [String: Any])?["remaining"] as? Int == 0)
        #expect(((report["by_model"] as? [String: Any])?["lite"] as? [String: Any])?["requests"] as? Int == 3)
        let deadline = Date().addingTimeInterval(10)
        var tokens = 0
        while Date() < deadline {
            tokens = (try Self.usage(portB)["tokens"] as? [String: Any])?["used"] as? Int ?? 0
            if tokens > 0 { break }
            usleep(20_000)
        }
        #expect(tokens > 0)
        let metricsB = String(decoding: b.metrics.render(), as: UTF8.self)
        #expect(metricsB.contains(#"relay_budget_limit{key="team-a",kind="requests"} 3"#))
        #expect(metricsB.contains(#"relay_budget_rejections_total{key="team-a",reason="budget_exceeded"} 1"#))
    }

    @Test func tokensSpentOnOneRelayRefuseTheKeyOnTheOtherAndTheAdminSeesEveryKey() async throws {
        let redis = try await RedisServer()
        let (a, portA) = try Self.relay(redisPort: redis.port, instance: "a", tokens: 1)
        let (b, portB) = try Self.relay(redisPort: redis.port, instance: "b", tokens: 1)
        defer { a.shutdown(); b.shutdown(); redis.stop() }
        try Self.awaitEngine(portA, "ok")
        try Self.awaitEngine(portB, "ok")
        let spender = try TestHTTPClient(port: portA)
        spender.postJSON("/chat/stream", #"{"prompt":"spend"}"#, extraHeaders: [("Authorization", "Bearer \(Self.key)")])
        #expect(try spender.readStream().terminal?.type == "done")
        // The end's tokens reach Redis without the client waiting for them: poll relay b until it refuses.
        let deadline = Date().addingTimeInterval(10)
        var refused: TestHTTPClient.Response?
        while Date() < deadline {
            let response = try TestHTTPClient(port: portB).request("POST", "/chat", headers: Self.headers(Self.key), body: #"{"prompt":"x"}"#)
            if response.status == 429 {
                refused = response
                break
            }
            #expect(response.status == 201)
            usleep(20_000)
        }
        let refusal = try #require(refused)
        #expect(refusal.errorCode == "budget_exceeded")
        #expect(refusal.text.contains(" of 1 tokens today; resets at "))
        // A key without a budget is counted, never refused.
        for port in [portA, portB] {
            let free = try TestHTTPClient(port: port).request("POST", "/chat/stream", headers: Self.headers(Self.freeKey),
                                                            body: #"{"prompt":"free"}"#)
            #expect(free.status == 200)
        }
        let admin = try TestHTTPClient(port: portB).request("GET", "/admin/usage", headers: [("Authorization", "Bearer \(Self.adminKey)")])
        #expect(admin.status == 200)
        let rows = try #require(admin.json?["data"] as? [[String: Any]])
        #expect(rows.map { $0["key"] as? String } == ["team-a", "team-free"])
        #expect((rows[1]["requests"] as? [String: Any])?["used"] as? Int == 2)
        #expect((rows[1]["requests"] as? [String: Any])?["limit"] is NSNull)
        let wrong = try TestHTTPClient(port: portB).request("GET", "/admin/usage", headers: [("Authorization", "Bearer \(Self.key)")])
        #expect(wrong.status == 401)
    }

    @Test func redisDownRefusesBudgetedKeysWhenClosedAndServesThemWhenOpen() async throws {
        let redis = try await RedisServer()
        let (closed, portClosed) = try Self.relay(redisPort: redis.port, instance: "closed", tokens: 1_000_000)
        let (open, portOpen) = try Self.relay(redisPort: redis.port, instance: "open", tokens: 1_000_000, whenDown: .open)
        defer { closed.shutdown(); open.shutdown(); redis.stop() }
        try Self.awaitEngine(portClosed, "ok")
        try Self.awaitEngine(portOpen, "ok")
        redis.kill()
        try Self.awaitEngine(portClosed, "degraded")
        try Self.awaitEngine(portOpen, "degraded")
        let refused = try TestHTTPClient(port: portClosed).request("POST", "/chat/stream", headers: Self.headers(Self.key),
                                                                 body: #"{"prompt":"x"}"#)
        #expect(refused.status == 503)
        #expect(refused.errorCode == "budget_unavailable")
        #expect(refused.text.contains("key 'team-a' has a budget"))
        #expect(refused.headers["Retry-After"] != nil)
        #expect(closed.simulator?.acceptedRequests == 0)
        // Keys without a budget are not held up by Redis either way.
        let free = try TestHTTPClient(port: portClosed).request("POST", "/chat/stream", headers: Self.headers(Self.freeKey),
                                                              body: #"{"prompt":"free"}"#)
        #expect(free.status == 200)
        let served = try TestHTTPClient(port: portOpen).request("POST", "/chat/stream", headers: Self.headers(Self.key),
                                                              body: #"{"prompt":"served"}"#)
        #expect(served.status == 200)
        let report = try TestHTTPClient(port: portClosed).request("GET", "/v1/usage", headers: Self.headers(Self.key))
        #expect(report.status == 503)
        #expect(report.errorCode == "usage_unavailable")
        let metrics = String(decoding: closed.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"relay_budget_rejections_total{key="team-a",reason="budget_unavailable"} 1"#))
    }
}
