import Foundation
import HTTPCodec
import Logging
import SparkCodec
import SparkSimulator
import Testing
@testable import Relay

/// `/chat/stream`, `/chat` and resume, end to end through the embedded simulator over real sockets.
@Suite struct ChatStreamTests {
    static func relay(_ configure: (inout RelayConfiguration) -> Void = { _ in }) throws -> (RelayApplication, Int) {
        let (application, port, _) = try TestServer.application { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            configure(&configuration)
        }
        return (application, port)
    }

    @Test func sseStreamCarriesEveryFrameInOrderThenDone() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"你好"}"#)
        let response = try client.readStream()
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "text/event-stream; charset=utf-8")
        #expect(response.headers["Cache-Control"] == "no-cache")
        #expect(response.headers["X-Accel-Buffering"] == "no")
        let streamID = try #require(response.headers["X-Stream-Id"])
        #expect(streamID.count == 32)
        #expect(response.retry == 3000)
        #expect(response.rawText.hasPrefix("retry: 3000\n\n"))
        #expect(response.text == SimulatorScript.answer(for: "你好"))
        let sequences = response.sequenceNumbers
        #expect(sequences == Array(1...sequences.count))
        #expect(response.events.allSatisfy { $0.lastEventID.hasPrefix(streamID + ":") })
        #expect(response.dataEvents.count == SimulatorScript.chunks(for: "你好", chunkCount: nil).count)
        #expect(response.terminal?.type == "done")
        let done = try #require(response.terminalJSON)
        #expect((done["sid"] as? String)?.hasPrefix("cht") == true)
        let usage = try #require(done["usage"] as? [String: Any])
        #expect(usage["total_tokens"] as? Int != nil)
        #expect(response.ended)
        // The connection is kept alive after the stream.
        #expect(try client.request("GET", "/healthz").status == 200)
    }

    @Test func eachDataEventIsThePayloadOfOneSparkFrame() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"frames"}]}"#)
        let response = try client.readStream()
        for (index, event) in response.dataEvents.enumerated() {
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
            let choices = try #require(payload["choices"] as? [String: Any])
            #expect(choices["seq"] as? Int == index)
            #expect(!event.data.contains("\n"))
        }
        let last = try #require(response.dataEvents.last)
        #expect(last.data.contains("\"usage\""))
    }

    @Test(arguments: [
        (#"{"prompt":"#, "invalid_json"),
        (#"[1,2]"#, "invalid_json"),
        (#"{}"#, "missing_field"),
        (#"{"messages":[]}"#, "invalid_field"),
        (#"{"messages":[{"role":"robot","content":"x"}]}"#, "invalid_field"),
        (#"{"messages":[{"role":"user","content":"  "}]}"#, "invalid_field"),
        (#"{"messages":[{"role":"user","content":"a"},{"role":"system","content":"b"},{"role":"user","content":"c"}]}"#, "invalid_field"),
        (#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#, "invalid_field"),
        (#"{"prompt":"x","model":"gpt-9"}"#, "unknown_model"),
        (#"{"prompt":"x","temperature":0}"#, "invalid_field"),
        (#"{"prompt":"x","temperature":1.5}"#, "invalid_field"),
        (#"{"prompt":"x","max_tokens":0}"#, "invalid_field"),
        (#"{"prompt":"x","max_tokens":100000}"#, "invalid_field"),
        (#"{"prompt":"x","top_k":7}"#, "invalid_field"),
        (#"{"prompt":"x","uid":"0123456789012345678901234567890123"}"#, "invalid_field"),
        (#"{"prompt":"x","messages":[{"role":"user","content":"y"}]}"#, "invalid_field"),
        (#"{"prompt":""}"#, "invalid_field"),
        (#"{"prompt":"x","model":"lite","functions":[{"name":"f"}]}"#, "invalid_field"),
    ])
    func invalidBodiesAre400WithAFieldMessage(body: String, code: String) throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", body)
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.errorCode == code)
        let message = try #require((response.json?["error"] as? [String: Any])?["message"] as? String)
        #expect(!message.isEmpty)
        #expect(application.simulator?.acceptedRequests == 0)
    }

    @Test func nonJSONContentTypeIs415() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let response = try client.request("POST", "/chat/stream", headers: [("Content-Type", "text/xml")], body: "<prompt/>")
        #expect(response.status == 415)
        #expect(response.errorCode == "unsupported_media_type")
    }

    @Test func curlsDefaultFormContentTypeWithAJSONBodyIsAccepted() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let body = #"{"prompt":"curl"}"#
        client.send("POST /chat/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = try client.readStream()
        #expect(response.status == 200)
        #expect(response.text == SimulatorScript.answer(for: "curl"))
    }

    @Test func sparkErrorFrameBecomesStreamErrorWithItsCode() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"bad [[error:10013]]"}"#)
        let response = try client.readStream()
        #expect(response.terminal?.type == "stream-error")
        let error = try #require(response.errorObject)
        #expect(error["type"] as? String == "upstream_error")
        #expect(error["code"] as? Int == 10013)
        #expect((error["sid"] as? String)?.hasPrefix("cht") == true)
        #expect((error["message"] as? String)?.contains("10013") == true)
    }

    @Test func midStreamErrorKeepsTheFramesBeforeIt() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"mid [[error:10014@3]]"}"#)
        let response = try client.readStream()
        #expect(response.dataEvents.count == 3)
        #expect(response.errorObject?["code"] as? Int == 10014)
        #expect(response.sequenceNumbers == [1, 2, 3, 4])
    }

    @Test func upstreamDropBecomesStreamError() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"drop [[drop@2]]"}"#)
        let response = try client.readStream()
        #expect(response.dataEvents.count == 2)
        #expect(response.errorObject?["code"] as? String == "upstream_closed")
    }

    @Test func upstreamStallHitsTheIdleTimeout() throws {
        let (application, port) = try Self.relay { $0.upstream.idleTimeout = 0.3 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"stall [[stall@2]]"}"#)
        let response = try client.readStream()
        #expect(response.dataEvents.count == 2)
        #expect(response.errorObject?["code"] as? String == "upstream_timeout_idle")
    }

    @Test func heartbeatsFlowWhileTheUpstreamIsSilent() throws {
        let (application, port) = try Self.relay { $0.stream.heartbeatInterval = 0.05 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"wait [[slow-first:400]]"}"#)
        let response = try client.readStream()
        #expect(response.rawText.contains(": ping\n\n"))
        #expect(response.terminal?.type == "done")
    }

    @Test func ndjsonAndPlainTextFormats() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let ndjson = try TestHTTPClient(port: port)
        ndjson.postJSON("/chat/stream", #"{"prompt":"nd"}"#, accept: "application/x-ndjson")
        let lines = try ndjson.readStream()
        #expect(lines.headers["Content-Type"] == "application/x-ndjson")
        let objects = lines.rawText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.rawText.split(separator: "\n").count)
        #expect(objects.last?["event"] as? String == "done")
        #expect(objects.dropLast().allSatisfy { $0["id"] is String && $0["data"] is [String: Any] })

        let plain = try TestHTTPClient(port: port)
        plain.postJSON("/chat/stream", #"{"prompt":"plain"}"#, accept: "text/plain")
        let text = try plain.readStream()
        #expect(text.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(text.rawText == SimulatorScript.answer(for: "plain"))
    }

    @Test func http10ClientsGetACloseDelimitedStream() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"old"}"#, version: "HTTP/1.0")
        let response = try client.readStream()
        #expect(response.headers["Transfer-Encoding"] == nil)
        #expect(response.headers["Connection"] == "close")
        #expect(response.text == SimulatorScript.answer(for: "old"))
        #expect(response.terminal?.type == "done")
    }

    @Test func clientDisconnectClosesTheUpstreamWith1000Promptly() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let simulator = try #require(application.simulator)
        var client: TestHTTPClient? = try TestHTTPClient(port: port)
        client?.postJSON("/chat/stream", #"{"prompt":"long [[chunks:200]] [[delay:50]]"}"#)
        _ = try client?.readStream(stopAfter: 2)
        #expect(simulator.openConnections == 1)
        let disconnected = ContinuousClock.now
        client = nil  // closes the socket
        let record = try #require(simulator.events.waitForRecord(timeout: 5) { _ in true })
        #expect(record.end == .clientClosed(code: 1000))
        #expect(record.endedAt - disconnected < .milliseconds(100))
        #expect(simulator.waitForConnectionCount(0, timeout: 5))
    }
}

/// Upstream handshake failures as the relay's clients see them, and `spark-relay check`.
@Suite struct UpstreamFailureTests {
    /// A relay whose upstream is another relay's embedded simulator, reached with `credentials`.
    static func relayWithBadCredentials() throws -> (RelayApplication, RelayApplication, Int) {
        let (simulatorHost, _) = try ChatStreamTests.relay()
        let good = simulatorHost.upstream
        let bad = SparkCredentials(appID: good.credentials.appID, apiKey: good.credentials.apiKey, apiSecret: "not-the-secret")
        var configuration = RelayConfiguration()
        configuration.server.port = 0
        configuration.server.eventLoops = 1
        let settings = try UpstreamSettings.make(from: configuration.upstream, mode: .spark, credentials: bad, base: good.base,
                                                 httpBase: good.http.base)
        let logger = Logger(label: "test") { label in RelayLogHandler(label: label, level: .critical, sink: { _ in }) }
        let relay = try RelayApplication(configuration: configuration, logger: logger, upstream: settings)
        let port = try relay.start().port
        return (relay, simulatorHost, port)
    }

    @Test func upstream401BecomesAStreamErrorWithADiagnosis() throws {
        let (relay, simulatorHost, port) = try Self.relayWithBadCredentials()
        defer { relay.shutdown(); simulatorHost.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"x"}"#)
        let response = try client.readStream()
        #expect(response.status == 200)
        let error = try #require(response.errorObject)
        #expect(error["type"] as? String == "upstream_error")
        #expect(error["code"] as? String == "upstream_unauthorized")
        #expect((error["message"] as? String)?.contains("401") == true)
        #expect(!response.rawText.contains("not-the-secret"))
        #expect(!response.rawText.contains("authorization="))
    }

    @Test func checkReportsSuccessAndA401() throws {
        let (relay, simulatorHost, _) = try Self.relayWithBadCredentials()
        defer { relay.shutdown(); simulatorHost.shutdown() }
        let good = UpstreamCheck.run(settings: simulatorHost.upstream, modelName: "lite", timeout: 10)
        #expect(good.succeeded)
        #expect(good.summary.hasPrefix("OK"))
        let bad = UpstreamCheck.run(settings: relay.upstream, modelName: "lite", timeout: 10)
        #expect(!bad.succeeded)
        #expect(bad.summary.contains("401"))
        #expect(!bad.summary.contains("not-the-secret"))
        let unknown = UpstreamCheck.run(settings: relay.upstream, modelName: "gpt-4", timeout: 10)
        #expect(!unknown.succeeded)
        #expect(unknown.summary.contains("unknown model"))
    }

    @Test func checkReportsSuccessAndA401OverHTTP() throws {
        let (relay, simulatorHost, _) = try Self.relayWithBadCredentials()
        defer { relay.shutdown(); simulatorHost.shutdown() }
        let lite = try #require(simulatorHost.upstream.models.model(named: "lite"))
        var http = lite
        http.upstreamProtocol = .http
        let good = UpstreamCheck.run(settings: simulatorHost.upstream, model: http, timeout: 10)
        #expect(good.succeeded, "\(good.summary)")
        #expect(good.summary.contains("over http"))
        let bad = UpstreamCheck.run(settings: relay.upstream, model: http, timeout: 10)
        #expect(!bad.succeeded)
        #expect(bad.summary.contains("401"))
        #expect(bad.summary.contains("SPARK_API_PASSWORD"))
        #expect(!bad.summary.contains("not-the-secret"))
    }
}
