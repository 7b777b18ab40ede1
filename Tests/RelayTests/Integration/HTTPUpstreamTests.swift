import Foundation
import HTTPCodec
import Logging
import SparkCodec
import SparkSimulator
import Testing
@testable import Relay
#if canImport(Glibc)
import Glibc
#endif

/// Models on Spark's HTTP API (`"protocol": "http"`), end to end through the embedded simulator's
/// HTTP mode over real sockets: the same events, statuses and behaviours as a WebSocket model.
@Suite struct HTTPUpstreamTests {
    /// A relay whose models all use the HTTP API (unless `configure` says otherwise).
    static func relay(_ configure: (inout RelayConfiguration) -> Void = { _ in }) throws -> (RelayApplication, Int) {
        try ChatStreamTests.relay { configuration in
            configuration.upstream.sparkProtocol = .http
            configure(&configuration)
        }
    }

    private static func metric(_ application: RelayApplication, _ name: String) -> Double {
        let text = String(decoding: application.metrics.render(), as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
    }

    private static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func chatStreamCarriesEveryChunkInTheWebSocketShapeThenDone() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"你好"}"#)
        let response = try client.readStream()
        #expect(response.status == 200)
        #expect(response.text == SimulatorScript.answer(for: "你好"))
        #expect(response.sequenceNumbers == Array(1...response.sequenceNumbers.count))
        for (index, event) in response.dataEvents.enumerated() {
            let payload = try Self.json(event.data)
            let choices = try #require(payload["choices"] as? [String: Any])
            #expect(choices["seq"] as? Int == index)
            let text = try #require(choices["text"] as? [[String: Any]])
            #expect(text.first?["role"] as? String == "assistant")
        }
        let last = try Self.json(try #require(response.dataEvents.last).data)
        #expect(last["usage"] != nil)
        #expect(response.terminal?.type == "done")
        let done = try #require(response.terminalJSON)
        #expect((done["sid"] as? String)?.isEmpty == false)
        #expect((done["usage"] as? [String: Any])?["total_tokens"] as? Int != nil)
        #expect(Self.metric(application, #"relay_upstream_conversations_total{protocol="http"}"#) == 1)
        #expect(Self.metric(application, #"relay_upstream_conversations_total{protocol="websocket"}"#) == 0)
    }

    @Test func theAccessLogNamesTheProtocolAndNeverThePassword() throws {
        let (application, port, logs) = try TestServer.application { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            configuration.upstream.sparkProtocol = .http
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"logged"}"#)
        _ = try client.readStream()
        _ = try client.request("GET", "/healthz")
        let deadline = ContinuousClock.now + .seconds(5)
        while !logs.lines.contains(where: { $0.contains("access") && $0.contains("/chat/stream") }) && ContinuousClock.now < deadline {
            usleep(5_000)
        }
        let access = logs.lines.filter { $0.contains("access") }
        #expect(access.contains { $0.contains("/chat/stream") && $0.contains("protocol=http") })
        #expect(access.contains { $0.contains("/healthz") && !$0.contains("protocol=") })
        let secret = application.upstream.credentials.apiSecret
        #expect(!logs.lines.contains { $0.contains(secret) })
    }

    @Test func keepAliveConnectionsAreReusedAcrossConversations() throws {
        let (application, port) = try Self.relay { $0.server.eventLoops = 1 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        for round in 0..<3 {
            client.postJSON("/chat/stream", #"{"prompt":"round \#(round)"}"#)
            let response = try client.readStream()
            #expect(response.text == SimulatorScript.answer(for: "round \(round)"))
        }
        let simulator = try #require(application.simulator)
        // Pooled, not closed: no connection ended, and at most two are open (the client may ask
        // again before the previous answer's `[DONE]` has been read and its connection pooled).
        #expect(simulator.finishedConnections.isEmpty)
        #expect(simulator.openConnections <= 2, "sequential conversations share pooled connections")
    }

    @Test func aSparkErrorChunkEndsTheStreamWithItsCodeAndSid() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"hi [[error:10013@2]]"}"#)
        let response = try client.readStream()
        #expect(response.dataEvents.count == 2)
        #expect(response.terminal?.type == "stream-error")
        let error = try #require(response.errorObject)
        #expect(error["code"] as? Int == 10013)
        #expect((error["sid"] as? String)?.isEmpty == false)
    }

    @Test func openAIToolCallsComeAsAnArrayWithIDs() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let body = #"{"model":"generalv3.5","messages":[{"role":"user","content":"weather [[function:get_weather]]"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#
        let response = try client.request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")], body: body)
        #expect(response.status == 200)
        let completion = try #require(response.json)
        let choice = try #require((completion["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        let message = try #require(choice["message"] as? [String: Any])
        let calls = try #require(message["tool_calls"] as? [[String: Any]])
        #expect(calls.count == 1)
        #expect((calls[0]["id"] as? String)?.isEmpty == false)
        #expect((calls[0]["function"] as? [String: Any])?["name"] as? String == "get_weather")
    }

    @Test func aToolRoundTripGoesToSparkNatively() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let body = #"{"model":"generalv3.5","stream":true,"messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"合肥\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"晴"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"tool_choice":"auto","response_format":{"type":"text"},"user":"u-1"}"#
        client.postJSON("/v1/chat/completions", body)
        let response = try client.readStream()
        #expect(response.status == 200)
        #expect(response.rawText.hasSuffix("data: [DONE]\n\n"))
    }

    @Test func aToolResultWithoutItsCallIsRefusedByName() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let body = #"{"model":"generalv3.5","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"call_9","content":"r"}]}"#
        let response = try client.request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")], body: body)
        #expect(response.status == 400)
        #expect(response.text.contains("tool_call_id"))
    }

    @Test(arguments: [
        (#""response_format":{"type":"json_object"}"#, "response_format"),
        (#""thinking":{"type":"enabled"}"#, "thinking"),
        (#""tool_choice":"required","tools":[{"type":"function","function":{"name":"f"}}]"#, "tool_choice"),
        (#""tools":[{"type":"web_search","web_search":{"enable":true}}]"#, "tools[0]"),
    ])
    func whatTheWebSocketCannotHonourIsA400NamingFieldAndProtocol(field: String, name: String) throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let body = #"{"model":"generalv3.5","messages":[{"role":"user","content":"x"}],"# + field + "}"
        let response = try client.request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")], body: body)
        #expect(response.status == 400)
        #expect(response.errorCode == "unsupported_on_protocol")
        #expect(response.text.contains("'\(name)'"))
        #expect(response.text.contains("websocket"))
    }

    @Test func httpOnlyFieldsPassOnAnHTTPModel() throws {
        let (application, port) = try Self.relay { configuration in
            configuration.upstream.sparkProtocol = .websocket
            configuration.upstream.models = [RelayConfiguration.ModelEntry(name: "generalv3.5", sparkProtocol: .http)]
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let body = #"{"model":"generalv3.5","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"tools":[{"type":"web_search","web_search":{"enable":true}}]}"#
        let response = try client.request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")], body: body)
        #expect(response.status == 200)
        // The other models stay on the WebSocket.
        let refused = try client.request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")],
                                         body: #"{"model":"lite","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}"#)
        #expect(refused.status == 400)
    }

    @Test func reasoningOfX1StreamsBeforeTheAnswer() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/v1/chat/completions", #"{"model":"x1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"think [[reasoning]]"}]}"#)
        let response = try client.readStream()
        #expect(response.status == 200)
        #expect(response.rawText.contains("reasoning_content"))
        #expect(response.rawText.contains("\"usage\""))
        #expect(response.rawText.hasSuffix("data: [DONE]\n\n"))
    }

    @Test func aClientThatLeavesAbortsTheUpstreamRequestAtOnce() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        var client: TestHTTPClient? = try TestHTTPClient(port: port)
        client?.postJSON("/chat/stream", #"{"prompt":"long [[chunks:2000]] [[delay:20]]"}"#)
        _ = try client?.readStream(stopAfter: 3)
        client = nil  // closes the socket
        let simulator = try #require(application.simulator)
        let deadline = ContinuousClock.now + .seconds(10)
        while simulator.openConnections > 0 && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(simulator.openConnections == 0, "the aborted request's connection must be closed, not pooled")
        while Self.metric(application, "relay_cancels_on_disconnect_total") < 1 && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(Self.metric(application, "relay_cancels_on_disconnect_total") == 1)
    }

    @Test func heartbeatsFlowWhileSparkIsSilent() throws {
        let (application, port) = try Self.relay { $0.stream.heartbeatInterval = 0.05 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"wait [[slow-first:400]]"}"#)
        let response = try client.readStream()
        #expect(response.rawText.contains(": ping"))
        #expect(response.terminal?.type == "done")
    }

    @Test func aRejectedAppFailsOverToTheNextOneOverHTTP() throws {
        let (simulatorHost, _) = try Self.relay()
        defer { simulatorHost.shutdown() }
        let good = simulatorHost.upstream.credentials
        let bad = SparkCredentials(appID: good.appID, apiKey: good.apiKey, apiSecret: "not-it")
        var configuration = RelayConfiguration()
        configuration.server.port = 0
        configuration.server.eventLoops = 1
        let base = simulatorHost.upstream
        let settings = UpstreamSettings(credentials: bad, base: base.base, httpBase: base.http.base, models: base.models, tls: nil,
                                        configuration: base.configuration, mode: .spark,
                                        pool: CredentialPool(credentials: [bad, good], cooloff: 60))
        let logger = Logger(label: "test") { label in RelayLogHandler(label: label, level: .critical, sink: { _ in }) }
        let relay = try RelayApplication(configuration: configuration, logger: logger, upstream: settings)
        let port = try relay.start().port
        defer { relay.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"failover"}"#)
        let response = try client.readStream()
        #expect(response.terminal?.type == "done")
        #expect(response.text == SimulatorScript.answer(for: "failover"))
        let metrics = String(decoding: relay.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"relay_upstream_errors_total{code="upstream_unauthorized"} 1"#))
    }

    @Test func ticketsResumeOnAnHTTPModel() throws {
        let (application, port) = try Self.relay()
        defer { application.shutdown() }
        var client: TestHTTPClient? = try TestHTTPClient(port: port)
        let created = try #require(try client?.request("POST", "/chat", headers: [("Content-Type", "application/json")],
                                                       body: #"{"prompt":"ticket [[chunks:6]] [[delay:30]]"}"#))
        #expect(created.status == 201)
        let id = try #require(created.json?["id"] as? String)
        client?.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let first = try #require(try client?.readStream(stopAfter: 2))
        client = nil
        let lastID = try #require(first.events.last?.lastEventID)
        let again = try TestHTTPClient(port: port)
        again.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: localhost\r\nLast-Event-ID: \(lastID)\r\n\r\n")
        let rest = try again.readStream()
        #expect(first.text + rest.text == SimulatorScript.answer(for: "ticket"))
        #expect(rest.terminal?.type == "done")
    }
}
