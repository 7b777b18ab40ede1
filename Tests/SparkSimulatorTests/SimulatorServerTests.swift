import Foundation
import HTTPCodec
import SparkCodec
@testable import SparkSimulator
import Testing

@Suite("SimulatorServer over real sockets")
struct SimulatorServerTests {
    @Test func fullAnswerMatchesTheScriptAndEndsWithClose1000() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("你好")
        let frames = try SimulatorHarness.decode(texts)
        #expect(frames.count == SimulatorScript.chunks(for: "你好", chunkCount: nil).count)
        #expect(frames.count >= 3)
        #expect(frames.map(\.content).joined() == SimulatorScript.answer(for: "你好"))
        #expect(frames.map(\.seq) == Array(0..<frames.count).map { Optional($0) })
        #expect(frames.map(\.status) == [0] + Array(repeating: 1, count: frames.count - 2) + [2])
        #expect(frames.dropLast().allSatisfy { $0.usage == nil })
        let usage = try #require(frames.last?.usage)
        #expect(usage.promptTokens == SparkTokenEstimator.estimate("你好"))
        #expect(usage.totalTokens == usage.promptTokens + usage.completionTokens)
        #expect(usage.completionTokens > 0)
        let sid = try #require(frames.first?.sid)
        #expect(sid.hasPrefix("cht000sim@dx") && sid.count == "cht000sim@dx".count + 16)
        #expect(frames.allSatisfy { $0.sid == sid })
        #expect(end == .close(1000))
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .completed)
        #expect(record.sid == sid)
        #expect(record.prompt == "你好")
        #expect(record.framesSent == frames.count)
        #expect(harness.server.acceptedRequests == 1)
        #expect(harness.server.waitForConnectionCount(0, timeout: 5))
    }

    @Test func sidsAreUniquePerRequest() throws {
        let harness = try SimulatorHarness()
        let first = try SimulatorHarness.decode(harness.ask("a").texts)
        let second = try SimulatorHarness.decode(harness.ask("a").texts)
        #expect(first.first?.sid != second.first?.sid)
        #expect(first.map(\.content) == second.map(\.content))
    }

    @Test func thePromptIsTheLastUserMessage() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        let history = [SparkChatMessage(role: .user, content: "早先的问题"), SparkChatMessage(role: .assistant, content: "早先的回答")]
        try client.sendText(SimulatorHarness.request("最后的问题", history: history))
        let frames = try SimulatorHarness.decode(client.readUntilEnd().texts)
        #expect(frames.map(\.content).joined() == SimulatorScript.answer(for: "最后的问题"))
        #expect(frames.last?.usage?.promptTokens == SparkTokenEstimator.estimate(history + [SparkChatMessage(role: .user, content: "最后的问题")]))
    }

    @Test func everyModelPathIsServed() throws {
        let harness = try SimulatorHarness()
        for model in SparkModelTable.default.models {
            let client = try harness.openClient(path: model.path)
            try client.sendText(SimulatorHarness.request("hi", domain: model.domain))
            let frames = try SimulatorHarness.decode(client.readUntilEnd().texts)
            #expect(frames.last?.isLast == true, "model \(model.name)")
        }
    }

    // MARK: - Handshake failures

    private func expectRefusal(_ response: TestHTTPResponse, status: Int, message: String) {
        #expect(response.status == status)
        #expect(response.bodyText == #"{"message":"\#(message)"}"#)
        #expect(response.headers["Date"] == HTTPDate.format(SimulatorHarness.now))
    }

    @Test func missingAuthorizationIs401Unauthorized() throws {
        let harness = try SimulatorHarness()
        let client = try TestWebSocketClient(port: harness.port)
        let response = try client.upgrade(target: "/v3.5/chat?date=x&host=y", host: harness.hostHeader)
        expectRefusal(response, status: 401, message: "Unauthorized")
        #expect(response.headers["Content-Type"] == SparkAuthFailure.contentType)
        #expect(harness.record(id: 1)?.end == .rejected(401))
    }

    @Test func badSignatureIs401DoesNotMatch() throws {
        let harness = try SimulatorHarness()
        let wrong = SparkCredentials(appID: SimulatorHarness.credentials.appID, apiKey: SimulatorHarness.credentials.apiKey,
                                     apiSecret: "not-the-secret")
        let client = try TestWebSocketClient(port: harness.port)
        let response = try client.upgrade(target: harness.signedTarget(credentials: wrong), host: harness.hostHeader)
        expectRefusal(response, status: 401, message: "HMAC signature does not match")
        #expect(response.headers["Content-Type"] == SparkAuthFailure.contentType)
    }

    @Test func unknownAPIKeyIs401CannotBeVerified() throws {
        let harness = try SimulatorHarness()
        let stranger = SparkCredentials(appID: "x", apiKey: "ffffffffffffffffffffffffffffffff", apiSecret: "s")
        let client = try TestWebSocketClient(port: harness.port)
        let response = try client.upgrade(target: harness.signedTarget(credentials: stranger), host: harness.hostHeader)
        expectRefusal(response, status: 401, message: "HMAC signature cannot be verified")
    }

    @Test func clockSkewOver300SecondsIs403AndExactly300IsAccepted() throws {
        let harness = try SimulatorHarness()
        let late = try TestWebSocketClient(port: harness.port)
        let response = try late.upgrade(target: harness.signedTarget(date: SimulatorHarness.now.adding(seconds: -301)),
                                        host: harness.hostHeader)
        expectRefusal(response, status: 403, message: SparkAuthFailure.invalidDate.message)
        #expect(response.bodyText == SparkAuthFailure.invalidDate.jsonBody)
        #expect(response.headers["Content-Type"] == SparkAuthFailure.contentType)

        let early = try TestWebSocketClient(port: harness.port)
        let future = try early.upgrade(target: harness.signedTarget(date: SimulatorHarness.now.adding(seconds: 301)),
                                       host: harness.hostHeader)
        #expect(future.status == 403)

        let onTime = try TestWebSocketClient(port: harness.port)
        let accepted = try onTime.upgrade(target: harness.signedTarget(date: SimulatorHarness.now.adding(seconds: -300)),
                                          host: harness.hostHeader)
        #expect(accepted.status == 101)
        #expect(accepted.headers["Date"] == HTTPDate.format(SimulatorHarness.now))
    }

    @Test func unknownPathIs404() throws {
        let harness = try SimulatorHarness()
        let client = try TestWebSocketClient(port: harness.port)
        let response = try client.upgrade(target: harness.signedTarget(path: "/v9.9/chat"), host: harness.hostHeader)
        expectRefusal(response, status: 404, message: "Not Found")
        #expect(harness.record(id: 1)?.end == .rejected(404))
        #expect(harness.record(id: 1)?.path == "/v9.9/chat")
    }

    @Test func invalidUpgradeHeadersGetTheHandshakeError() throws {
        let harness = try SimulatorHarness()
        let client = try TestWebSocketClient(port: harness.port)
        let request = "GET \(harness.signedTarget()) HTTP/1.1\r\nHost: \(harness.hostHeader)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        try client.socket.write(Array(request.utf8))
        let response = try client.readHTTPResponse()
        #expect(response.status == 426)
        #expect(response.headers["Sec-WebSocket-Version"] == "13")
        #expect(harness.record(id: 1)?.end == .rejected(426))
    }

    /// A `wss://` client pointed at the plain port is told at once (it used to wait for a head
    /// that never ended, and the client timed out with no hint).
    @Test func tlsOnThePlainPortIsRefusedAtOnce() throws {
        let harness = try SimulatorHarness()
        let client = try TestWebSocketClient(port: harness.port)
        // The start of a TLS 1.2/1.3 ClientHello record: handshake (0x16), version 3.1, length.
        try client.socket.write([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        let response = try client.readHTTPResponse()
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self).contains("TLS arrived on a plain ws:// port"))
        #expect(harness.record(id: 1)?.end == .rejected(400))
    }

    @Test func malformedHTTPIs400() throws {
        let harness = try SimulatorHarness()
        let client = try TestWebSocketClient(port: harness.port)
        try client.socket.write(Array("GET /v3.5/chat HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n".utf8))
        let response = try client.readHTTPResponse()
        #expect(response.status == 400)
        #expect(harness.record(id: 1)?.end == .rejected(400))
    }

    // MARK: - Request validation

    private func expectRequestError(_ harness: SimulatorHarness, send text: String, code: Int) throws {
        let client = try harness.openClient()
        try client.sendText(text)
        let (texts, _, end) = try client.readUntilEnd()
        #expect(texts.count == 1)
        guard !texts.isEmpty else { return }
        var decoder = SparkFrameDecoder()
        do throws(SparkError) {
            _ = try decoder.decode(Array(texts[0].utf8))
            Issue.record("expected an error frame, got \(texts[0])")
        } catch {
            guard case .upstream(let got, _, let sid) = error else { Issue.record("wrong error \(error)"); return }
            #expect(got == code)
            #expect(sid?.hasPrefix("cht000sim@dx") == true)
        }
        #expect(end == .close(1000))
    }

    @Test func invalidRequestsGetOneErrorFrameWithSparksCode() throws {
        let harness = try SimulatorHarness()
        try expectRequestError(harness, send: "not json", code: 10003)
        try expectRequestError(harness, send: #"{"header":{"app_id":"app12345"}}"#, code: 10004)
        try expectRequestError(harness, send: SimulatorHarness.request("hi", domain: "lite"), code: 10005)
        let finished = harness.server.events
        #expect(finished.waitForFinishedConnections(3, timeout: 5))
        #expect(Set(finished.finishedConnections.map(\.end)) == [.requestError(code: 10003), .requestError(code: 10004), .requestError(code: 10005)])
        #expect(harness.server.acceptedRequests == 0)
    }

    @Test func appIDOfAnotherAppIs11200() throws {
        let harness = try SimulatorHarness()
        try expectRequestError(harness, send: SimulatorHarness.request("hi", appID: "other999"), code: 11200)
        #expect(harness.record(id: 1)?.end == .requestError(code: 11200))
    }

    @Test func aSecondRequestOnTheSameSocketIs10007() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        try client.sendText(SimulatorHarness.request("一 [[stall@1]]"))
        let first = try client.readTexts(1)
        try client.sendText(SimulatorHarness.request("二"))
        let (texts, _, end) = try client.readUntilEnd()
        #expect(texts.count == 1)
        var decoder = SparkFrameDecoder()
        let sid = try decoder.decode(Array(first[0].utf8)).sid
        #expect(throws: SparkError.upstream(code: 10007, message: "SessionBusy:(spark-sim) still answering the previous question on this connection", sid: sid)) {
            try decoder.decode(Array(texts[0].utf8))
        }
        #expect(end == .close(1000))
        #expect(harness.record(id: 1)?.end == .requestError(code: 10007))
    }

    @Test func oversizeRequestIsClosedWith1009() throws {
        let harness = try SimulatorHarness(maxRequestBytes: 1024)
        let client = try harness.openClient()
        try client.sendText(SimulatorHarness.request(String(repeating: "x", count: 2000)))
        let (_, _, end) = try client.readUntilEnd()
        #expect(end == .close(1009))
        #expect(harness.record(id: 1)?.end == .protocolError(closeCode: 1009))
    }

    @Test func noRequestWithinTheTimeoutClosesWith1000() throws {
        let harness = try SimulatorHarness(requestTimeout: 0.2)
        let client = try harness.openClient()
        let (texts, _, end) = try client.readUntilEnd()
        #expect(texts.isEmpty)
        #expect(end == .close(1000))
        #expect(harness.record(id: 1)?.end == .timedOut)
    }

    // MARK: - Client closes

    @Test func clientCloseMidStreamIsRecordedWithItsCode() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        try client.sendText(SimulatorHarness.request("停 [[delay:100]]"))
        _ = try client.readTexts(1)
        try client.sendClose(code: 1000)
        let closedAt = ContinuousClock.now
        #expect(try client.readUntilEnd().end == .close(1000))
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .clientClosed(code: 1000, closeFrameReceived: true))
        #expect(record.endedAt >= closedAt - .milliseconds(50))
        #expect(record.endedAt - closedAt < .seconds(1))
        #expect(record.framesSent < SimulatorScript.chunks(for: "停", chunkCount: nil).count)
        #expect(harness.server.waitForConnectionCount(0, timeout: 5))
    }

    @Test func tcpCloseWithoutCloseFrameIsRecordedWithNilCode() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        try client.sendText(SimulatorHarness.request("断 [[delay:100]]"))
        _ = try client.readTexts(1)
        client.socket.close()
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .clientClosed(code: nil, closeFrameReceived: false))
        #expect(record.end == .clientClosed(code: nil) || record.end == .clientClosed(code: nil, closeFrameReceived: false))
        #expect(harness.server.waitForConnectionCount(0, timeout: 5))
    }

    @Test func openConnectionsCountsLiveSockets() throws {
        let harness = try SimulatorHarness()
        let first = try harness.openClient()
        let second = try harness.openClient()
        #expect(harness.server.waitForConnectionCount(2, timeout: 5))
        first.socket.close()
        #expect(harness.server.waitForConnectionCount(1, timeout: 5))
        second.socket.close()
        #expect(harness.server.waitForConnectionCount(0, timeout: 5))
    }

    @Test func stopClosesOpenConnections() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        try client.sendText(SimulatorHarness.request("[[stall@1]]"))
        _ = try client.readTexts(1)
        harness.server.stop()
        #expect(try client.readUntilEnd().end == .endOfStream)
        #expect(harness.record(id: 1)?.end == .serverStopped)
        #expect(harness.server.waitForConnectionCount(0, timeout: 5))
        #expect(throws: TestClientError.self) { _ = try TestWebSocketClient(port: harness.port) }
    }
}
