import HTTPClient
import HTTPCodec
import RelayIO
import Testing

/// The keep-alive pool: reuse (counted in server accepts), `Connection: close`, the per-origin bound,
/// the idle timeout, a pooled connection the server closed, the retry on a stale connection, shutdown.
@Suite struct HTTPClientPoolTests {
    private func origin(_ server: TestHTTPServer) -> HTTPClientOrigin {
        HTTPClientOrigin(isSecure: false, host: "127.0.0.1", port: server.port)
    }

    private static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    @Test func theSecondRequestReusesTheConnection() throws {
        let server = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let (first, firstEvents) = harness.run(HTTPClientRequest(path: "/1"), on: origin(server))
        #expect(firstEvents?.error == nil)
        let (second, secondEvents) = harness.run(HTTPClientRequest(method: .post, path: "/2", body: [1, 2, 3]), on: origin(server))
        #expect(secondEvents?.error == nil)
        #expect(secondEvents?.text == "ok")
        #expect(!first.reusedConnection)
        #expect(first.connectNanoseconds != nil)
        #expect(second.reusedConnection)
        #expect(second.connectNanoseconds == nil)
        #expect(server.snapshot.accepted == 1)
        #expect(server.snapshot.requests == 2)
        #expect(harness.idleCount(origin(server)) == 1)
    }

    @Test func aRequestStartedFromDidFinishReusesTheConnectionJustReleased() throws {
        let server = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let second = Recorder()
        let first = Recorder()
        let client = harness.client
        let target = origin(server)
        first.onFinish = { _, _ in client.execute(HTTPClientRequest(path: "/again"), on: target, delegate: second) }
        harness.execute(HTTPClientRequest(path: "/"), on: target, first)
        #expect(second.waitForFinish()?.error == nil)
        #expect(server.snapshot.accepted == 1)
    }

    @Test func connectionCloseIsHonouredAndTheConnectionNotPooled() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        for _ in 0..<2 {
            let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
            #expect(events?.error == nil)
            #expect(!task.reusedConnection)
        }
        #expect(server.snapshot.accepted == 2)
        #expect(harness.idleCount(origin(server)) == 0)
    }

    @Test func anHTTP10ResponseIsNotPooled() throws {
        let server = try TestHTTPServer { exchange in exchange.send("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok") }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        #expect(harness.idleCount(origin(server)) == 0)
    }

    @Test func aRequestSayingConnectionCloseIsNotPooled() throws {
        let server = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/", headers: [("Connection", "close")]), on: origin(server)).1?.error == nil)
        #expect(harness.idleCount(origin(server)) == 0)
    }

    @Test func thePoolKeepsAtMostMaxIdleConnectionsPerOrigin() throws {
        let exchanges = ExchangeBox()
        let server = try TestHTTPServer { exchange in
            // The first request on each connection waits for the test; later ones are answered at once.
            if exchange.indexOnConnection == 0 { exchanges.set(exchange) } else { exchange.send(Self.ok) }
        }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.maxIdleConnectionsPerHost = 2
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        // Three requests at once: the pool is empty, so each opens its own connection.
        let recorders = [Recorder(), Recorder(), Recorder()]
        harness.onLoop {
            for recorder in recorders { harness.client.execute(HTTPClientRequest(path: "/"), on: origin(server), delegate: recorder) }
        }
        #expect(exchanges.waitFor(count: 3))
        for exchange in exchanges.all { exchange.send(Self.ok) }
        for recorder in recorders { #expect(recorder.waitForFinish()?.error == nil) }
        #expect(server.snapshot.accepted == 3)
        #expect(harness.idleCount(origin(server)) == 2)
        #expect(server.waitUntil { $0.endedByClient == 1 }, "the third connection is closed, not pooled")
        // Both pooled connections serve the next two requests.
        for _ in 0..<2 {
            let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
            #expect(events?.error == nil)
            #expect(task.reusedConnection)
        }
        #expect(server.snapshot.accepted == 3)
    }

    @Test func pooledConnectionsCloseAfterTheIdleTimeout() throws {
        let server = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.idleConnectionTimeout = 0.2
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        #expect(server.waitUntil { $0.endedByClient == 1 }, "the client closed the idle connection")
        #expect(harness.idleCount(origin(server)) == 0)
    }

    @Test func poolingOffClosesEveryConnection() throws {
        let server = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.maxIdleConnectionsPerHost = 0
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        #expect(server.waitUntil { $0.endedByClient == 1 })
        #expect(harness.idleCount(origin(server)) == 0)
    }

    @Test func aPooledConnectionTheServerClosedIsRemoved() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send(Self.ok)
            exchange.close()  // after the response: the connection sits in the pool when the FIN arrives
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        #expect(eventually { harness.idleCount(origin(server)) == 0 })
        let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        #expect(events?.error == nil)
        #expect(!task.reusedConnection)
        #expect(!task.retriedOnNewConnection, "the dead connection was noticed while idle, not by a failed request")
        #expect(server.snapshot.accepted == 2)
    }

    @Test func aStalePooledConnectionIsRetriedOnceOnANewConnection() throws {
        // The server drops every second request on a connection without answering, as a server that
        // closed its idle connection just as the request was sent.
        let server = try TestHTTPServer { exchange in
            if exchange.indexOnConnection == 1 { exchange.close() } else { exchange.send(Self.ok) }
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        let (task, events) = harness.run(HTTPClientRequest(method: .post, path: "/", body: [1]), on: origin(server))
        let result = try #require(events)
        #expect(result.error == nil)
        #expect(result.text == "ok")
        #expect(result.finishCount == 1)
        #expect(task.retriedOnNewConnection)
        #expect(!task.reusedConnection)
        #expect(task.connectNanoseconds != nil)
        #expect(server.snapshot.accepted == 2)
        #expect(server.snapshot.requests == 3)
    }

    @Test func noRetryOnceAResponseByteArrived() throws {
        let server = try TestHTTPServer { exchange in
            if exchange.indexOnConnection == 1 {
                exchange.send("HTTP/1.1 200 O")
                exchange.close()
            } else {
                exchange.send(Self.ok)
            }
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        #expect(events?.error?.kind == .closedBeforeEnd)
        #expect(task.reusedConnection)
        #expect(!task.retriedOnNewConnection)
        #expect(server.snapshot.accepted == 1)
    }

    @Test func theRetryHappensOnlyOnce() throws {
        // Second request on any connection is dropped, and so is the first on any connection but the first.
        let server = try TestHTTPServer { exchange in
            if exchange.connectionID == 0 && exchange.indexOnConnection == 0 { exchange.send(Self.ok) } else { exchange.close() }
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        #expect(events?.error?.kind == .closedBeforeEnd)
        #expect(events?.finishCount == 1)
        #expect(task.retriedOnNewConnection)
        #expect(server.snapshot.accepted == 2)
    }

    @Test func shutdownClosesIdleConnectionsAndRefusesNewRequests() throws {
        let server = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        defer { server.stop() }
        let harness = ClientHarness()
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(server)).1?.error == nil)
        harness.stop()
        #expect(server.waitUntil { $0.endedByClient == 1 })
        #expect(harness.idleCount(origin(server)) == 0)
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server))
        #expect(events?.error?.kind == .shutdown)
        #expect(server.snapshot.accepted == 1)
    }

    @Test func originsHaveSeparatePools() throws {
        let one = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        let two = try TestHTTPServer { exchange in exchange.send(Self.ok) }
        defer { one.stop(); two.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        #expect(harness.run(HTTPClientRequest(path: "/"), on: origin(one)).1?.error == nil)
        let (task, _) = harness.run(HTTPClientRequest(path: "/"), on: origin(two))
        #expect(!task.reusedConnection)
        #expect(harness.idleCount(origin(one)) == 1)
        #expect(harness.idleCount(origin(two)) == 1)
    }
}
