import Foundation
import HTTPCodec
import Logging
import RelayCrypto
import SparkCodec
import SparkSimulator
import Testing
@testable import Relay
#if canImport(Glibc)
import Glibc
#endif

/// `log.usage_file` end to end through the embedded simulator: one record per request that reached
/// Spark, whatever its outcome, attributed to its key, and `relay_tokens_total` counting the same.
@Suite struct UsageRecordingTests {
    static let key = "usage-test-key-0123456789"

    static func relay(protocol sparkProtocol: SparkProtocol = .websocket,
                      _ configure: (inout RelayConfiguration) -> Void = { _ in }) throws -> (RelayApplication, Int, String) {
        let path = try UsageLogTests.directory() + "/usage.jsonl"
        let (application, port) = try ChatStreamTests.relay { configuration in
            configuration.log.usageFile = path
            configuration.upstream.sparkProtocol = sparkProtocol
            configure(&configuration)
        }
        return (application, port, path)
    }

    /// The records once `count` are there (written off the loops, so waited for).
    static func records(_ application: RelayApplication, _ path: String, count: Int) -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            application.usageLog?.flush()
            let lines = UsageLogTests.lines(path)
            if lines.count >= count { return lines }
            usleep(10_000)
        }
        return UsageLogTests.lines(path)
    }

    private static func metric(_ application: RelayApplication, _ prefix: String) -> Double {
        let text = String(decoding: application.metrics.render(), as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test(arguments: [SparkProtocol.websocket, .http])
    func aFinishedStreamRecordsSparksOwnUsage(sparkProtocol: SparkProtocol) throws {
        let (application, port, path) = try Self.relay(protocol: sparkProtocol)
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"你好","model":"lite"}"#)
        let response = try client.readStream()
        let usage = try #require(response.terminalJSON?["usage"] as? [String: Any])
        let record = try #require(Self.records(application, path, count: 1).first)
        #expect(record["route"] as? String == "/chat/stream")
        #expect(record["model"] as? String == "lite")
        #expect(record["protocol"] as? String == sparkProtocol.rawValue)
        #expect(record["outcome"] as? String == "done")
        #expect(record["usage"] as? String == "spark")
        #expect(record["prompt_tokens"] as? Int == usage["prompt_tokens"] as? Int)
        #expect(record["completion_tokens"] as? Int == usage["completion_tokens"] as? Int)
        #expect(record["client"] as? String == "127.0.0.1")
        #expect(record["key"] is NSNull)
        #expect((record["sid"] as? String)?.isEmpty == false)
        #expect((record["ttft_ms"] as? Double).map { $0 >= 0 } == true)
        #expect(record["stream"] as? Bool == true)
    }

    @Test func aClientThatLeavesIsRecordedWithAnEstimate() throws {
        let (application, port, path) = try Self.relay()
        defer { application.shutdown() }
        var client: TestHTTPClient? = try TestHTTPClient(port: port)
        client?.postJSON("/chat/stream", #"{"prompt":"leave early [[chunks:10]] [[delay:100]]"}"#)
        _ = try client?.readStream(stopAfter: 3)
        client = nil
        let record = try #require(Self.records(application, path, count: 1).first)
        #expect(record["outcome"] as? String == "client_gone")
        #expect(record["usage"] as? String == "estimate")
        #expect(record["error_code"] as? String == "client_disconnected")
        #expect((record["prompt_tokens"] as? Int ?? 0) > 0)
        let completion = record["completion_tokens"] as? Int ?? 0
        #expect(completion > 0)
        // The estimate counts what was streamed before the client left, not the whole answer.
        #expect(completion < SparkTokenEstimator.estimate(SimulatorScript.answer(for: "leave early")))
    }

    @Test func moderationAndUpstreamErrorsAreRecordedWithTheirCodes() throws {
        let (application, port, path) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"bad [[error:10013@2]]"}"#)
        _ = try client.readStream()
        client.postJSON("/chat/stream", #"{"prompt":"broken [[error:10000@1]]"}"#)
        _ = try client.readStream()
        let records = Self.records(application, path, count: 2)
        #expect(records.map { $0["outcome"] as? String } == ["moderation", "upstream_error"])
        #expect(records.map { $0["error_code"] as? String } == ["10013", "10000"])
        #expect(records.allSatisfy { $0["usage"] as? String == "estimate" })
    }

    @Test func openAIRequestsAreRecordedWithTheirRouteAndStreamFlag() throws {
        let (application, port, path) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let response = try client.request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")],
                                          body: #"{"model":"lite","messages":[{"role":"user","content":"x"}]}"#)
        #expect(response.status == 200)
        let record = try #require(Self.records(application, path, count: 1).first)
        #expect(record["route"] as? String == "/v1/chat/completions")
        #expect(record["stream"] as? Bool == false)
        #expect(record["usage"] as? String == "spark")
    }

    @Test func aKeyedRequestIsRecordedUnderItsKeyAndTheFileAgreesWithTheMetrics() throws {
        let (application, port, path) = try Self.relay { configuration in
            configuration.auth = .init(enabled: true, keys: [.init(name: "team-a", sha256: NamedKeyTests.hash(Self.key))])
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        for index in 0..<3 {
            client.postJSON("/chat/stream", #"{"prompt":"keyed \#(index)"}"#, extraHeaders: [("Authorization", "Bearer \(Self.key)")])
            _ = try client.readStream()
        }
        let records = Self.records(application, path, count: 3)
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0["key"] as? String == "team-a" && $0["client"] is NSNull })
        let fileTokens = records.reduce(0) { $0 + ($1["prompt_tokens"] as? Int ?? 0) + ($1["completion_tokens"] as? Int ?? 0) }
        #expect(Double(fileTokens) == Self.metric(application, "relay_tokens_total{"))
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(!text.contains(Self.key))
    }

    @Test func aRequestRefusedBeforeSparkIsNotRecorded() throws {
        let (application, port, path) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"x","model":"no-such-model"}"#)
        #expect(try client.readResponse().status == 400)
        client.postJSON("/chat/stream", #"{"prompt":"counted"}"#)
        _ = try client.readStream()
        let records = Self.records(application, path, count: 1)
        #expect(records.count == 1)
    }
}
