import Foundation
import HTTPCodec
import Logging
import SparkCodec
import Testing
@testable import Relay

/// Budget periods, the ledger alone (with an injected clock), and the configuration's refusals.
@Suite struct BudgetUnitTests {
    static func time(_ text: String) -> UnixTime { UsageFileTail.parseTimestamp(text)! }

    @Test func daysAndMonthsStartAtMidnightInTheOffset() {
        // 2026-12-07T16:30:00Z is 2026-12-08 00:30 in +08:00.
        let now = Self.time("2026-12-07T16:30:00.000Z")
        let china = 8 * 3600
        let day = BudgetWindow.containing(now, period: .day, offsetSeconds: china)
        #expect(day.label == "2026-12-08")
        #expect(day.start == Self.time("2026-12-07T16:00:00.000Z"))
        #expect(day.end == Self.time("2026-12-08T16:00:00.000Z"))
        #expect(BudgetWindow.containing(now, period: .day, offsetSeconds: 0).label == "2026-12-07")
        let month = BudgetWindow.containing(Self.time("2026-12-31T20:00:00.000Z"), period: .month, offsetSeconds: china)
        #expect(month.label == "2027-01")
        #expect(month.end == Self.time("2027-01-31T16:00:00.000Z"))
        let west = BudgetWindow.containing(Self.time("2026-03-01T02:00:00.000Z"), period: .month, offsetSeconds: -(5 * 3600 + 1800))
        #expect(west.label == "2026-02")
        #expect(BudgetWindow.containing(now, period: .total, offsetSeconds: china).end == nil)
        #expect(BudgetWindow.localTimestamp(day.end!, offsetSeconds: china) == "2026-12-09T00:00:00+08:00")
    }

    @Test(arguments: [("+08:00", 28800), ("-05:30", -19800), ("+00:00", 0), ("+14:00", 50400)])
    func offsetsParse(text: String, seconds: Int) {
        #expect(BudgetWindow.parseOffset(text) == seconds)
        #expect(BudgetWindow.offsetText(seconds) == text)
    }

    @Test(arguments: ["8", "+8:00", "+08:60", "+15:00", "08:00", "+08:00 ", "UTC"])
    func badOffsetsAreRefused(text: String) {
        #expect(BudgetWindow.parseOffset(text) == nil)
    }

    @Test func theLedgerRefusesPastEitherBoundAndAllowsAgainInTheNextPeriod() {
        final class Clock: @unchecked Sendable { var now = UsageFileTail.parseTimestamp("2026-12-07T10:00:00.000Z")! }
        let clock = Clock()
        let ledger = MemoryBudgetLedger(policy: BudgetPolicy(budgets: ["web": KeyBudget(tokens: 100, requests: 3, period: .day)],
                                                             offsetSeconds: 8 * 3600, clock: { clock.now }))
        #expect(ledger.admit(key: "web", model: "lite") == .admitted)
        ledger.record(key: "web", model: "lite", tokens: 120)
        guard case .exhausted(let refusal) = ledger.admit(key: "web", model: "lite") else {
            Issue.record("a key past its tokens was admitted")
            return
        }
        #expect(refusal.message == "key 'web' used 120 of 100 tokens today; resets at 2026-12-08T00:00:00+08:00")
        #expect(refusal.retryAfterSeconds == 6 * 3600)
        // Unknown and unbudgeted keys always pass.
        #expect(ledger.admit(key: "other", model: "lite") == .admitted)
        #expect(ledger.admit(key: nil, model: "lite") == .admitted)
        // Midnight in +08:00: a new day.
        clock.now = UsageFileTail.parseTimestamp("2026-12-07T16:00:01.000Z")!
        #expect(ledger.admit(key: "web", model: "lite") == .admitted)
        #expect(ledger.admit(key: "web", model: "x1") == .admitted)
        #expect(ledger.admit(key: "web", model: "x1") == .admitted)
        guard case .exhausted(let requests) = ledger.admit(key: "web", model: "lite") else {
            Issue.record("a fourth request was admitted")
            return
        }
        #expect(requests.message.hasPrefix("key 'web' used 3 of 3 requests today"))
        #expect(ledger.use(of: "web")?.byModel["x1"]?.requests == 2)
    }

    @Test func thousandsAreGrouped() {
        #expect(BudgetPolicy.grouped(200_431) == "200,431")
        #expect(BudgetPolicy.grouped(999) == "999")
        #expect(BudgetPolicy.grouped(1_000_000) == "1,000,000")
    }

    @Test(arguments: [
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(String(repeating: "a", count: 64))","budget":{"tokens":-1,"period":"day"}}]}}"#, "auth.keys[0].budget.tokens"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(String(repeating: "a", count: 64))","budget":{"tokens":1.5,"period":"day"}}]}}"#, "auth.keys[0].budget.tokens"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(String(repeating: "a", count: 64))","budget":{"tokens":10,"period":"week"}}]}}"#, "auth.keys[0].budget.period"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(String(repeating: "a", count: 64))","budget":{"period":"day"}}]}}"#, "auth.keys[0].budget"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(String(repeating: "a", count: 64))","budget":{"tokens":10,"period":"day","cost":1}}]}}"#, "auth.keys[0].budget.cost"),
        (#"{"auth":{"budget_utc_offset":"UTC+8"}}"#, "auth.budget_utc_offset"),
    ])
    func badBudgetsAreRefusedNamingTheKeyPath(json: String, key: String) {
        do {
            _ = try ConfigLoader.load(json: Array(json.utf8))
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.key == key)
        }
    }

    @Test func anAdminKeyThatIsAlsoAClientKeyIsRefused() {
        let hash = String(repeating: "b", count: 64)
        let json = #"{"auth":{"keys":[{"name":"a","sha256":"\#(hash)"}],"admin_keys":["\#(String(repeating: "c", count: 64))","\#(hash)"]}}"#
        do {
            _ = try ConfigLoader.load(json: Array(json.utf8))
            Issue.record("an admin key equal to a client key was accepted")
        } catch {
            #expect(error.key == "auth.admin_keys[1]")
        }
    }

    @Test func budgetWhenEngineDownTakesClosedOrOpenOnly() throws {
        #expect(try ConfigLoader.load(json: Array(#"{}"#.utf8)).auth.budgetWhenEngineDown == .closed)
        #expect(try ConfigLoader.load(json: Array(#"{"auth":{"budget_when_engine_down":"open"}}"#.utf8)).auth.budgetWhenEngineDown == .open)
        do {
            _ = try ConfigLoader.load(json: Array(#"{"auth":{"budget_when_engine_down":"ajar"}}"#.utf8))
            Issue.record("an unknown failure mode was accepted")
        } catch {
            #expect(error.key == "auth.budget_when_engine_down")
        }
    }
}

/// Budgets end to end through the embedded simulator: refused with OpenAI's `insufficient_quota`
/// on all three chat endpoints, kept across a restart by the usage file, and reported by `/v1/usage`.
@Suite struct BudgetEnforcementTests {
    static let key = "budget-test-key-42"

    static let otherKey = "budget-test-other-key-43"
    static let adminKey = "budget-test-admin-key-44"

    static func relay(tokens: Int? = nil, requests: Int? = nil, usageFile: String? = nil) throws -> (RelayApplication, Int) {
        try ChatStreamTests.relay { configuration in
            configuration.auth = .init(enabled: true, keys: [.init(name: "team-a", sha256: NamedKeyTests.hash(Self.key)),
                                                             .init(name: "team-b", sha256: NamedKeyTests.hash(Self.otherKey))])
            configuration.auth.adminKeyHashes = [NamedKeyTests.hash(Self.adminKey)]
            configuration.auth.keys[0].budget = KeyBudget(tokens: tokens, requests: requests, period: .day)
            configuration.auth.budgetUTCOffset = "+08:00"
            configuration.log.usageFile = usageFile
        }
    }

    static var auth: [(String, String)] { [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")] }

    @Test func aKeyPastItsTokensIsRefusedOnEveryChatEndpointBeforeSpark() throws {
        let (application, port) = try Self.relay(tokens: 1)
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"spend"}"#, extraHeaders: [("Authorization", "Bearer \(Self.key)")])
        #expect(try client.readStream().terminal?.type == "done")
        let upstreamBefore = application.simulator?.acceptedRequests ?? -1
        for (path, body) in [("/chat/stream", #"{"prompt":"x"}"#), ("/chat", #"{"prompt":"x"}"#),
                             ("/v1/chat/completions", #"{"model":"lite","messages":[{"role":"user","content":"x"}]}"#)] {
            let response = try client.request("POST", path, headers: Self.auth, body: body)
            #expect(response.status == 429, "\(path)")
            let error = try #require(response.json?["error"] as? [String: Any])
            #expect(error["type"] as? String == "insufficient_quota")
            #expect(error["code"] as? String == "budget_exceeded")
            let message = error["message"] as? String ?? ""
            #expect(message.hasPrefix("key 'team-a' used "), "\(message)")
            #expect(message.contains(" of 1 tokens today; resets at ") && message.hasSuffix("+08:00"), "\(message)")
            #expect(Int(response.headers["Retry-After"] ?? "") ?? 0 > 0)
        }
        #expect(application.simulator?.acceptedRequests == upstreamBefore)
        let metrics = String(decoding: application.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"relay_budget_rejections_total{key="team-a",reason="budget_exceeded"} 3"#))
        #expect(metrics.contains(#"relay_budget_limit{key="team-a",kind="tokens"} 1"#))
    }

    @Test func aRestartDoesNotResetTheBudget() throws {
        let path = try UsageLogTests.directory() + "/usage.jsonl"
        do {
            let (application, port) = try Self.relay(requests: 2, usageFile: path)
            let client = try TestHTTPClient(port: port)
            for _ in 0..<2 {
                client.postJSON("/chat/stream", #"{"prompt":"count me"}"#, extraHeaders: [("Authorization", "Bearer \(Self.key)")])
                _ = try client.readStream()
            }
            #expect(try client.request("POST", "/chat/stream", headers: Self.auth, body: #"{"prompt":"x"}"#).status == 429)
            let done = DispatchSemaphore(value: 0)
            application.shutdown { done.signal() }
            done.wait()
        }
        let (again, port) = try Self.relay(requests: 2, usageFile: path)
        defer { again.shutdown() }
        let client = try TestHTTPClient(port: port)
        let refused = try client.request("POST", "/chat/stream", headers: Self.auth, body: #"{"prompt":"x"}"#)
        #expect(refused.status == 429)
        #expect(refused.text.contains("used 2 of 2 requests today"))
    }

    @Test func usageReportsTheKeysOwnUseAndRemainingBudget() throws {
        let (application, port) = try Self.relay(tokens: 1_000_000, requests: 10)
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"report","model":"lite"}"#, extraHeaders: [("Authorization", "Bearer \(Self.key)")])
        let streamed = try client.readStream()
        let total = (streamed.terminalJSON?["usage"] as? [String: Any])?["total_tokens"] as? Int ?? -1
        let report = try client.request("GET", "/v1/usage", headers: Self.auth)
        #expect(report.status == 200)
        let json = try #require(report.json)
        #expect(json["key"] as? String == "team-a")
        #expect(json["period"] as? String == "day")
        #expect((json["resets_at"] as? String)?.hasSuffix("T00:00:00+08:00") == true)
        let tokens = try #require(json["tokens"] as? [String: Any])
        #expect(tokens["used"] as? Int == total)
        #expect(tokens["remaining"] as? Int == 1_000_000 - total)
        #expect((json["requests"] as? [String: Any])?["used"] as? Int == 1)
        #expect(((json["by_model"] as? [String: Any])?["lite"] as? [String: Any])?["tokens"] as? Int == total)
        #expect(try client.request("GET", "/v1/usage").status == 401)
        #expect(try client.request("GET", "/v1/usage", headers: [("Authorization", "Bearer wrong")]).status == 401)
    }

    @Test func aKeyWithoutABudgetSeesItsUseAndAdminsSeeEveryKey() throws {
        let (application, port) = try Self.relay(tokens: 1_000_000)
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"b uses"}"#, extraHeaders: [("Authorization", "Bearer \(Self.otherKey)")])
        _ = try client.readStream()
        let own = try #require(try client.request("GET", "/v1/usage", headers: [("Authorization", "Bearer \(Self.otherKey)")]).json)
        #expect(own["key"] as? String == "team-b" && own["budget"] as? Bool == false && own["period"] as? String == "day")
        #expect((own["requests"] as? [String: Any])?["used"] as? Int == 1)
        #expect((own["requests"] as? [String: Any])?["limit"] is NSNull)
        let admin = try client.request("GET", "/admin/usage", headers: [("Authorization", "Bearer \(Self.adminKey)")])
        #expect(admin.status == 200)
        let keys = (admin.json?["data"] as? [[String: Any]])?.compactMap { $0["key"] as? String }
        #expect(keys == ["team-a", "team-b"])
        // A client key, a wrong key and no key are all refused.
        for headers in [[("Authorization", "Bearer \(Self.key)")], [("Authorization", "Bearer nope")], []] {
            #expect(try client.request("GET", "/admin/usage", headers: headers).status == 401)
        }
    }
}
