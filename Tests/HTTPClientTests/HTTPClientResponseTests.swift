import HTTPClient
import HTTPCodec
import RelayIO
import Testing

/// Response framing and failures against the scripted server: Content-Length, chunked (split at odd
/// places, extensions, trailers), close-delimited, interim 1xx, streaming as bytes arrive, and
/// every way a response can be broken.
@Suite struct HTTPClientResponseTests {
    private func origin(_ server: TestHTTPServer) -> HTTPClientOrigin {
        HTTPClientOrigin(isSecure: false, host: "127.0.0.1", port: server.port)
    }

    @Test func contentLengthResponseAndTheRequestAsTheServerSawIt() throws {
        let seen = ExchangeBox()
        let server = try TestHTTPServer { exchange in
            seen.set(exchange)
            exchange.send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let request = HTTPClientRequest(method: .post, path: "/v1/chat/completions",
                                        headers: [("Authorization", "Bearer sk-test"), ("Content-Type", "application/json")],
                                        body: Array(#"{"stream":true}"#.utf8))
        let (task, events) = harness.run(request, on: origin(server))
        let result = try #require(events)
        #expect(result.error == nil)
        #expect(result.head?.status == 200)
        #expect(result.head?.headers["content-type"] == "application/json")
        #expect(result.text == #"{"ok":true}"#)
        #expect(result.finishCount == 1)
        #expect(!task.reusedConnection)
        #expect(task.tlsSessionResumed == nil)
        #expect(task.connectNanoseconds != nil)
        #expect(task.isFinished)

        let exchange = try #require(seen.value)
        #expect(exchange.head.method == .post)
        #expect(exchange.head.target == "/v1/chat/completions")
        #expect(exchange.head.host == "127.0.0.1:\(server.port)")
        #expect(exchange.head.headers["authorization"] == "Bearer sk-test")
        #expect(exchange.head.headers["content-length"] == "15")
        #expect(exchange.body == Array(#"{"stream":true}"#.utf8))
        #expect(harness.idleCount(origin(server)) == 1)
    }

    @Test func chunkedSplitAtOddPlacesWithExtensionsAndTrailers() throws {
        let pieces = [
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5",
            ";name=\"va",
            "l\";x\r\nhel",
            "lo\r",
            "\n1B\r\n", "data: {\"a\":1}\n\ndata: [DO",
            "NE]\r\n0\r\nX-Trailer: t",
            "\r\nX-Other: u\r\n\r",
            "\n",
        ]
        let server = try TestHTTPServer { exchange in
            for piece in pieces { exchange.send(piece) }
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/stream"), on: origin(server))
        let result = try #require(events)
        #expect(result.error == nil)
        #expect(result.text == "hellodata: {\"a\":1}\n\ndata: [DONE]")
        // Trailers are consumed, and the connection is clean enough to reuse.
        #expect(harness.idleCount(origin(server)) == 1)
    }

    @Test func theFirstChunkIsDeliveredBeforeTheResponseEnds() throws {
        let exchangeBox = ExchangeBox()
        let server = try TestHTTPServer { exchange in
            exchangeBox.set(exchange)
            exchange.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let recorder = Recorder()
        harness.execute(HTTPClientRequest(method: .post, path: "/v1/chat/completions"), on: origin(server), recorder)
        #expect(recorder.waitUntil { $0.text == "data: 1\n\n" })
        #expect(recorder.snapshot.finishCount == 0, "the response is still open")
        let exchange = try #require(exchangeBox.value)
        exchange.send("9\r\ndata: 2\n\n\r\n")
        #expect(recorder.waitUntil { $0.text == "data: 1\n\ndata: 2\n\n" })
        #expect(recorder.snapshot.finishCount == 0)
        exchange.send("0\r\n\r\n")
        let result = try #require(recorder.waitForFinish())
        #expect(result.error == nil)
        #expect(result.bodyPieces.count == 2)
    }

    @Test func aCloseDelimitedBodyEndsWithTheConnectionAndIsNotPooled() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
            exchange.send(" until close")
            exchange.close()
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        let result = try #require(events)
        #expect(result.error == nil)
        #expect(result.text == "all of it until close")
        #expect(harness.idleCount(origin(server)) == 0)
    }

    @Test func interimResponsesAreSkipped() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")
            exchange.send("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(method: .post, path: "/", body: [1]), on: origin(server))
        let result = try #require(events)
        #expect(result.error == nil)
        #expect(result.head?.status == 201)
        #expect(result.text == "ok")
    }

    @Test func aHeadResponseHasNoBodyAndTheConnectionIsReused() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(method: .head, path: "/"), on: origin(server))
        let result = try #require(events)
        #expect(result.error == nil)
        #expect(result.bodyPieces.isEmpty)
        #expect(harness.idleCount(origin(server)) == 1)
    }

    @Test func aTooBigHeadIsAProtocolErrorAndTheConnectionIsClosed() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 2048) + "\r\n\r\n")
        }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.maxHeadBytes = 1024
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        let result = try #require(events)
        #expect(result.error?.kind == .protocolError)
        #expect(result.error?.message.contains("1024") == true)
        #expect(result.head == nil)
        #expect(server.waitUntil { $0.endedByClient == 1 })
        #expect(harness.idleCount(origin(server)) == 0)
    }

    @Test func garbageInsteadOfAStatusLineIsAProtocolError() throws {
        let server = try TestHTTPServer { exchange in exchange.send("SSH-2.0-OpenSSH_9.6\r\n\r\n") }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        #expect(events?.error?.kind == .protocolError)
    }

    @Test func aCloseInTheMiddleOfTheBodyIsReportedAfterThePartThatArrived() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n8\r\nonly")
            exchange.close()
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        let result = try #require(events)
        #expect(result.error?.kind == .closedBeforeEnd)
        #expect(result.error?.message.contains("body") == true)
        #expect(result.head?.status == 200)
        #expect(result.text == "partonly")
        #expect(!task.retriedOnNewConnection)
    }

    @Test func aContentLengthBodyCutShortIsClosedBeforeEnd() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
            exchange.close()
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        #expect(events?.error?.kind == .closedBeforeEnd)
        #expect(events?.text == "short")
    }

    @Test func aNewConnectionClosedBeforeTheHeadFailsWithoutARetry() throws {
        let server = try TestHTTPServer { exchange in exchange.close() }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        let result = try #require(events)
        #expect(result.error?.kind == .closedBeforeEnd)
        #expect(result.error?.message.contains("before the response head") == true)
        #expect(!task.retriedOnNewConnection)
        #expect(server.snapshot.accepted == 1)
    }

    @Test func aFieldWithCRLFIsRejectedWithoutConnectingAndWithoutEchoingTheValue() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let recorder = Recorder()
        let finishedInsideExecute: Bool = harness.onLoop {
            harness.client.execute(HTTPClientRequest(path: "/", headers: [("Authorization", "Bearer sk-secret\r\nX-Injected: 1")]),
                                   on: origin(server), delegate: recorder)
            return recorder.snapshot.finishCount > 0
        }
        #expect(!finishedInsideExecute, "the failure is reported on a later loop turn")
        let result = try #require(recorder.waitForFinish())
        #expect(result.error?.kind == .invalidRequest)
        #expect(result.error?.message.contains("Authorization") == true)
        #expect(result.error?.message.contains("sk-secret") == false)
        #expect(server.snapshot.accepted == 0)
    }
}

/// Hands the last exchange from the server's loop to the test thread.
final class ExchangeBox: @unchecked Sendable {
    private let lock = ConditionLock()
    private var exchanges: [TestExchange] = []

    func set(_ exchange: TestExchange) { lock.update { exchanges.append(exchange) } }

    /// The first exchange, waiting up to 10 s for it.
    var value: TestExchange? { waitFor(count: 1) ? lock.withLock { exchanges.first } : nil }

    /// Waits until `count` exchanges arrived.
    func waitFor(count: Int, timeout: Double = 10) -> Bool { lock.wait(timeout: timeout) { exchanges.count >= count } }

    /// Every exchange so far.
    var all: [TestExchange] { lock.withLock { exchanges } }
}
