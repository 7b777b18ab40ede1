import Foundation
import HTTPCodec
import JSON
import SparkCodec
@testable import SparkSimulator
import Testing

@Suite("SimulatorServer HTTP API over real sockets")
struct SimulatorHTTPTests {
    static func json(_ bytes: [UInt8]) throws -> JSONValue { try JSONScanner.parse(bytes) }

    @Test func streamedAnswerMatchesTheScript() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let answer = try client.ask("你好")
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"] == "text/event-stream; charset=utf-8")
        #expect(answer.headers["Transfer-Encoding"] == "chunked")
        #expect(answer.complete && answer.sawDone && answer.error == nil)
        let frames = answer.frames
        let chunks = SimulatorScript.chunks(for: "你好", chunkCount: nil)
        #expect(frames.count == chunks.count)
        #expect(frames.map(\.content).joined() == SimulatorScript.answer(for: "你好"))
        #expect(frames.map(\.status) == [0] + Array(repeating: 1, count: frames.count - 2) + [2])
        #expect(frames.dropLast().allSatisfy { $0.usage == nil })
        let usage = try #require(frames.last?.usage)
        #expect(usage.promptTokens == SparkTokenEstimator.estimate("你好"))
        #expect(usage.totalTokens == usage.promptTokens + usage.completionTokens)
        let sid = try #require(frames.first?.sid)
        #expect(sid.hasPrefix("cht000sim@dx") && frames.allSatisfy { $0.sid == sid })
        // Spark's wire form: `data:` without a space, id = sid, created, usage in the last content chunk (/v1).
        let events = answer.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.count == chunks.count + 1)
        #expect(events.dropLast().allSatisfy { $0.hasPrefix("data:{\"code\":0,\"message\":\"Success\",\"sid\":\"\(sid)\",\"id\":\"\(sid)\",\"created\":\(SimulatorHarness.now.wholeSeconds),") })
        #expect(events.last == "data: [DONE]")
        #expect(events[events.count - 2].contains("\"usage\":"))
        client.close()
        let record = try #require(harness.record(id: 1))
        #expect(record.sparkProtocol == .http)
        #expect(record.end == .completed)
        #expect(record.sid == sid && record.prompt == "你好" && record.path == "/v1/chat/completions")
        #expect(record.httpRequests == 1 && record.framesSent == chunks.count)
        #expect(harness.server.acceptedRequests == 1)
    }

    @Test func nonStreamedAnswerIsOneBody() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let answer = try client.ask("hi", stream: false)
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"] == "application/json; charset=utf-8")
        let body = try Self.json(answer.body)
        #expect(body["code"]?.intValue == 0)
        #expect(body["message"]?.stringValue == "Success")
        #expect(body["sid"]?.stringValue?.hasPrefix("cht000sim@dx") == true)
        #expect(body["id"] == body["sid"])
        let message = try #require(body["choices"]?.arrayValue?.first?["message"])
        #expect(message["role"]?.stringValue == "assistant")
        #expect(message["content"]?.stringValue == SimulatorScript.answer(for: "hi"))
        #expect(body["usage"]?["total_tokens"]?.intValue ?? 0 > 0)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let first = try client.ask("一")
        let second = try client.ask("二", stream: false)
        let third = try client.ask("三")
        #expect(first.sawDone && third.sawDone && second.status == 200)
        #expect(first.frames.map(\.content).joined() == SimulatorScript.answer(for: "一"))
        #expect(third.frames.map(\.content).joined() == SimulatorScript.answer(for: "三"))
        #expect(first.frames.first?.sid != third.frames.first?.sid)
        #expect(harness.server.openConnections == 1)
        #expect(harness.server.acceptedRequests == 3)
        client.close()
        let record = try #require(harness.record(id: 1))
        #expect(record.httpRequests == 3 && record.end == .completed && record.prompt == "三")
        #expect(harness.server.finishedConnections.count == 1)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        try client.send(body: TestHTTPClient.body("甲"))
        try client.send(body: TestHTTPClient.body("乙"))
        #expect(try client.readResponse().frames.map(\.content).joined() == SimulatorScript.answer(for: "甲"))
        #expect(try client.readResponse().frames.map(\.content).joined() == SimulatorScript.answer(for: "乙"))
    }

    @Test func connectionCloseEndsTheConnection() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        try client.send(body: TestHTTPClient.body("x"), extraHeaders: [("Connection", "close")])
        let answer = try client.readResponse()
        #expect(answer.sawDone)
        #expect(answer.headers["Connection"] == "close")
        #expect(client.serverClosed())
        #expect(harness.record(id: 1)?.end == .completed)
    }

    @Test func wrongOrMissingCredentialsAre401InvalidUser() throws {
        let harness = try SimulatorHarness(apiPassword: "pw-123")
        let client = try TestHTTPClient(port: harness.port)
        for authorization in [nil, "Bearer wrong", "Bearer \(SimulatorHarness.credentials.apiKey):nope", "Basic pw-123", "Bearer pw-1234"] {
            try client.send(body: TestHTTPClient.body("x"), authorization: authorization)
            let answer = try client.readResponse()
            #expect(answer.status == 401, "\(authorization ?? "none")")
            #expect(answer.bodyText == #"{"error":{"message":"invalid user","type":"api_error","param":null,"code":null}}"#)
            let failure = SparkHTTPErrorBody.parse(status: answer.status, body: answer.body)
            #expect(failure.kind == .unauthorized)
        }
        // The password and key:secret both open it, on the same (kept-alive) connection.
        try client.send(body: TestHTTPClient.body("x"), authorization: "Bearer pw-123")
        #expect(try client.readResponse().sawDone)
        try client.send(body: TestHTTPClient.body("x"), authorization: TestHTTPClient.keySecret)
        #expect(try client.readResponse().sawDone)
        client.close()
        #expect(harness.record(id: 1)?.httpRequests == 7)

        let other = try TestHTTPClient(port: harness.port)
        try other.send(body: TestHTTPClient.body("x"), authorization: "Bearer wrong")
        #expect(try other.readResponse().status == 401)
        other.close()
        #expect(harness.record(id: 2)?.end == .rejected(401))

        // Without a configured password, a password-shaped token is refused.
        let noPassword = try SimulatorHarness()
        let third = try TestHTTPClient(port: noPassword.port)
        try third.send(body: TestHTTPClient.body("x"), authorization: "Bearer pw-123")
        #expect(try third.readResponse().status == 401)
    }

    @Test func invalidBodiesAre400WithSparkCodes() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let cases: [([UInt8], Int)] = [
            (Array("{".utf8), 10003),
            (Array(#"{"model":"generalv3.5"}"#.utf8), 10004),
            (TestHTTPClient.body("x", model: "x1"), 10005),  // x1 is served on /v2
            (TestHTTPClient.body("x", model: "nope"), 10005),
            (TestHTTPClient.body("[[drop]]"), 10005),
            (SparkHTTPRequest(model: "lite", messages: [SparkChatMessage(role: .user, content: "x")], temperature: 1.5).encodeJSON(), 10005),
        ]
        for (body, code) in cases {
            try client.send(body: body)
            let answer = try client.readResponse()
            #expect(answer.status == 400, "\(String(decoding: body, as: UTF8.self))")
            let failure = SparkHTTPErrorBody.parse(status: answer.status, body: answer.body)
            #expect(failure.code == code, "\(String(decoding: body, as: UTF8.self)): \(failure)")
            #expect(failure.sid?.hasPrefix("cht000sim@dx") == true)
        }
        client.close()
        #expect(harness.record(id: 1)?.end == .requestError(code: 10005))
        #expect(harness.server.acceptedRequests == 0)
    }

    @Test func otherMethodsAndUpgradesAreNotTheHTTPAPI() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        try client.send(method: "GET", body: [])
        #expect(try client.readResponse().status == 405)
        try client.send(path: "/v2/chat/completions", body: TestHTTPClient.body("x", model: "x1"))
        #expect(try client.readResponse().sawDone)
        try client.send(path: "/v3/chat/completions", body: TestHTTPClient.body("x"))
        #expect(try client.readResponse().status == 404)
    }

    @Test func v2PutsUsageInItsOwnChunkAndStreamsReasoning() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let answer = try client.ask("想 [[reasoning]]", path: "/v2/chat/completions", model: "x1")
        #expect(answer.sawDone && answer.error == nil)
        let frames = answer.frames
        let contentChunks = SimulatorScript.chunks(for: "想", chunkCount: nil).count
        let thoughts = SimulatorScript.split(SimulatorScript.reasoningText, into: nil).count
        #expect(frames.count == thoughts + contentChunks + 1)
        #expect(frames.last?.content == "" && frames.last?.usage != nil && frames.last?.status == 2)
        #expect(frames.dropLast().allSatisfy { $0.usage == nil && $0.status != 2 })
        #expect(frames.compactMap(\.reasoningContent).joined() == SimulatorScript.reasoningText)
        #expect(frames.map(\.content).joined() == SimulatorScript.answer(for: "想"))
        let events = answer.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events[events.count - 2].contains(#""delta":{"role":"assistant","content":""},"index":0}],"usage":"#))
    }

    @Test func errorDirectivesBecomeErrorChunks() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let late = try client.ask("x [[error:10014@2]]")
        #expect(late.frames.count == 2)
        guard case .upstream(10014, _, let sid)? = late.error else {
            Issue.record("expected 10014, got \(String(describing: late.error))")
            return
        }
        #expect(sid == late.frames.first?.sid)
        #expect(late.complete)
        let early = try client.ask("x [[error:11200]]")
        #expect(early.frames.isEmpty)
        guard case .upstream(11200, _, _)? = early.error else {
            Issue.record("expected 11200, got \(String(describing: early.error))")
            return
        }
        let nonStream = try client.ask("x [[error:10013]]", stream: false)
        #expect(nonStream.status == 200)
        #expect(SparkHTTPErrorBody.parse(status: nonStream.status, body: nonStream.body).code == 10013)
        client.close()
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .faultInjected(.errorFrame(code: 10013)) && record.httpRequests == 3)
    }

    @Test func dropClosesMidStream() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let answer = try client.ask("x [[drop@2]]")
        #expect(answer.frames.count == 2)
        #expect(!answer.complete)
        #expect(answer.error == .closedBeforeEnd(sid: answer.frames.first?.sid))
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .faultInjected(.drop) && record.fault == .drop)
    }

    @Test func stallGoesSilentUntilTheClientCloses() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port, timeout: 0.5)
        let answer = try client.ask("x [[stall@1]]")
        #expect(answer.frames.count == 1 && !answer.complete && answer.error == nil)
        client.close()
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .clientClosed(code: nil, closeFrameReceived: false) && record.fault == .stall)
    }

    @Test func clientCloseMidStreamIsRecorded() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        try client.send(body: TestHTTPClient.body("x [[chunks:50]] [[delay:20]]"))
        let answer = try client.readResponse(stopAfterFrames: 2)
        #expect(answer.frames.count == 2)
        let closedAt = ContinuousClock.now
        client.close()
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .clientClosed(code: nil, closeFrameReceived: false))
        #expect(record.sid == answer.frames.first?.sid)
        #expect(record.framesSent < 50)
        #expect(record.endedAt - closedAt < .seconds(1))
    }

    @Test func functionDirectiveIsAnObjectStyleToolCall() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        let answer = try client.ask("北京 [[function:get_weather]]")
        #expect(answer.frames.count == 1)
        let frame = try #require(answer.frames.first)
        #expect(frame.status == 2 && frame.usage != nil)
        let call = try #require(frame.functionCall)
        #expect(call.name == "get_weather" && call.arguments == #"{"location":"北京"}"#)
        #expect(call.id?.hasPrefix("call_") == true)
        #expect(answer.bodyText.contains(#""tool_calls":{"type":"function","function":{"#))
        let nonStream = try client.ask("北京 [[function:get_weather]]", stream: false)
        let message = try #require(try Self.json(nonStream.body)["choices"]?.arrayValue?.first?["message"])
        #expect(message["tool_calls"]?.arrayValue?.first?["function"]?["name"]?.stringValue == "get_weather")
    }

    @Test func pacingLengthBigAndStampDirectives() throws {
        let harness = try SimulatorHarness()
        let client = try TestHTTPClient(port: harness.port)
        #expect(try client.ask("x [[chunks:7]]").frames.count == 7)

        let big = try client.ask("x [[big]]")
        #expect(big.frames.first?.content.hasPrefix(SimulatorScript.bigFiller) == true)

        let started = ContinuousClock.now
        let slow = try client.ask("x [[slow-first:300]] [[chunks:2]]")
        #expect(slow.frames.count == 2)
        #expect(ContinuousClock.now - started >= .milliseconds(300))

        let pacedStart = ContinuousClock.now
        _ = try client.ask("x [[delay:50]] [[chunks:4]]")
        #expect(ContinuousClock.now - pacedStart >= .milliseconds(200))

        let stamped = try client.ask("x [[stamp]] [[chunks:2]]")
        #expect(stamped.sawDone && stamped.frames.count == 2)
        let events = stamped.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.dropLast().allSatisfy { $0.hasPrefix("data:{\"sim_sent_ns\":") })

        // WebSocket-only directives are accepted and ignored.
        let ignored = try client.ask("x [[ping]] [[fragment]] [[plugin]]")
        #expect(ignored.sawDone && ignored.frames.map(\.content).joined() == SimulatorScript.answer(for: "x"))
    }

    @Test func idleKeepAliveConnectionTimesOut() throws {
        let harness = try SimulatorHarness(requestTimeout: 0.3)
        let client = try TestHTTPClient(port: harness.port)
        #expect(try client.ask("x").sawDone)
        #expect(client.serverClosed())
        #expect(harness.record(id: 1)?.end == .completed)
    }

    @Test func webSocketStillWorksBesideHTTP() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("你好")
        #expect(try SimulatorHarness.decode(texts).map(\.content).joined() == SimulatorScript.answer(for: "你好"))
        #expect(end == .close(1000))
        #expect(harness.record(id: 1)?.sparkProtocol == .websocket)
    }

    @Test func stampedEventInsertsTheMember() {
        let event = Array(#"data:{"code":0}"#.utf8) + [0x0A, 0x0A]
        #expect(String(decoding: SimulatorHTTPPlan.stamped(event, nanoseconds: 42), as: UTF8.self) == "data:{\"sim_sent_ns\":42,\"code\":0}\n\n")
        #expect(SimulatorHTTPPlan.stamped(SparkHTTPChunkEncoder.doneEvent, nanoseconds: 1) == SparkHTTPChunkEncoder.doneEvent)
    }
}

@Suite("SimulatorServer HTTP API timeouts")
struct SimulatorHTTPTimeoutTests {
    @Test func aRequestBodyThatNeverCompletesTimesOut() throws {
        let harness = try SimulatorHarness(requestTimeout: 0.3)
        let client = try TestHTTPClient(port: harness.port)
        let body = TestHTTPClient.body("x")
        let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: \(TestHTTPClient.keySecret)\r\nContent-Length: \(body.count)\r\n\r\n"
        try client.socket.write(Array(head.utf8) + body.prefix(5))
        #expect(client.serverClosed())
        #expect(harness.record(id: 1)?.end == .timedOut)
    }
}
