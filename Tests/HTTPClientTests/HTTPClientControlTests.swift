import HTTPClient
import HTTPCodec
import RelayIO
import RelayTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Cancel, back-pressure and every timeout, and connection failures.
@Suite struct HTTPClientControlTests {
    private func origin(_ port: Int, secure: Bool = false) -> HTTPClientOrigin {
        HTTPClientOrigin(isSecure: secure, host: "127.0.0.1", port: port)
    }

    @Test func cancelClosesTheSocketAtOnceAndSilencesTheDelegate() throws {
        let exchanges = ExchangeBox()
        let server = try TestHTTPServer { exchange in
            exchanges.set(exchange)
            exchange.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let recorder = Recorder()
        let task = harness.execute(HTTPClientRequest(path: "/"), on: origin(server.port), recorder)
        #expect(recorder.waitUntil { $0.text == "first" })
        harness.onLoop { task.cancel() }
        #expect(server.waitUntil { $0.endedByClient == 1 }, "the server sees the connection end")
        // Whatever the server still sends goes nowhere; the delegate hears nothing after cancel().
        try #require(exchanges.value).send("5\r\nlater\r\n0\r\n\r\n")
        harness.onLoop {}
        let events = recorder.snapshot
        #expect(events.finishCount == 0)
        #expect(events.text == "first")
        #expect(harness.onLoop { task.isFinished })
        #expect(harness.idleCount(origin(server.port)) == 0)
    }

    @Test func cancelFromInsideACallbackStopsTheRestOfTheBuffer() throws {
        let server = try TestHTTPServer { exchange in
            // One write: both chunks and the end arrive in one read.
            exchange.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let recorder = Recorder()
        recorder.onBody = { task, _ in task.cancel() }
        harness.execute(HTTPClientRequest(path: "/"), on: origin(server.port), recorder)
        #expect(recorder.waitUntil { !$0.bodyPieces.isEmpty })
        #expect(server.waitUntil { $0.endedByClient == 1 })
        harness.onLoop {}
        #expect(recorder.snapshot.bodyPieces == [Array("a".utf8)])
        #expect(recorder.snapshot.finishCount == 0)
        #expect(harness.idleCount(origin(server.port)) == 0, "a cancelled connection is never pooled")
    }

    @Test func cancelWhileConnectingReportsNothing() throws {
        let blackhole = try FullBacklogListener()
        defer { blackhole.close() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let recorder = Recorder()
        let task = harness.execute(HTTPClientRequest(path: "/"), on: origin(blackhole.port), recorder)
        harness.onLoop { task.cancel() }
        harness.onLoop {}
        #expect(recorder.snapshot.callbackCount == 0)
    }

    @Test func pausingStopsReadingUntilResumedAndTheServerBacksUp() throws {
        let exchanges = ExchangeBox()
        let server = try TestHTTPServer { exchange in
            exchanges.set(exchange)
            exchange.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        }
        defer { server.stop() }
        let harness = ClientHarness()
        defer { harness.stop() }
        let recorder = Recorder()
        recorder.onBody = { task, bytes in if bytes == Array("hello".utf8) { task.pauseReading() } }
        let task = harness.execute(HTTPClientRequest(path: "/"), on: origin(server.port), recorder)
        #expect(recorder.waitUntil { $0.text == "hello" })

        // 32 MiB while the client is paused: more than the socket buffers of both ends hold.
        let exchange = try #require(exchanges.value)
        let piece = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<32 { exchange.send(HTTPResponseEncoder.encodeChunk(piece)) }
        exchange.send(HTTPResponseEncoder.lastChunk)
        let pending = exchange.pendingWriteBytes
        #expect(pending > 8 << 20, "the server's output backs up while the client does not read (\(pending) bytes pending)")
        harness.onLoop {}
        #expect(recorder.snapshot.bodyByteCount == 5, "nothing is delivered while paused")
        #expect(exchange.pendingWriteBytes == pending, "and nothing is read")

        harness.onLoop { task.resumeReading() }
        let result = try #require(recorder.waitForFinish(timeout: 30))
        #expect(result.error == nil)
        #expect(result.bodyByteCount == 5 + 32 << 20)
        #expect(exchange.pendingWriteBytes == 0)
    }

    @Test func pausedBeforeTheResponseTheHeadWaitsForResume() throws {
        let server = try TestHTTPServer { exchange in exchange.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.readTimeout = 0.1
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        let recorder = Recorder()
        let task = harness.onLoop {
            let task = harness.client.execute(HTTPClientRequest(path: "/"), on: origin(server.port), delegate: recorder)
            task.pauseReading()
            return task
        }
        #expect(server.waitUntil { $0.requests == 1 })
        // Longer than the read timeout, which does not run while paused.
        usleep(300_000)
        #expect(recorder.snapshot.callbackCount == 0)
        harness.onLoop { task.resumeReading() }
        let result = try #require(recorder.waitForFinish())
        #expect(result.error == nil)
        #expect(result.text == "ok")
    }

    @Test func noResponseByteWithinTheReadTimeoutFails() throws {
        let server = try TestHTTPServer()  // reads the request, never answers
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.readTimeout = 0.2
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server.port))
        #expect(events?.error?.kind == .timeout(.read))
        #expect(server.waitUntil { $0.endedByClient == 1 })
    }

    @Test func aSlowFirstByteWithinTheReadTimeoutIsFine() throws {
        let exchanges = ExchangeBox()
        let server = try TestHTTPServer { exchange in exchanges.set(exchange) }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.readTimeout = 5
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        let recorder = Recorder()
        harness.execute(HTTPClientRequest(path: "/"), on: origin(server.port), recorder)
        let exchange = try #require(exchanges.value)
        #expect(recorder.snapshot.callbackCount == 0)
        exchange.send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
        #expect(recorder.waitForFinish()?.text == "slow")
    }

    @Test func aStalledBodyTimesOutToo() throws {
        let server = try TestHTTPServer { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n")
        }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.readTimeout = 0.2
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server.port))
        #expect(events?.text == "one")
        #expect(events?.error?.kind == .timeout(.read))
    }

    @Test func aRefusedConnectionIsUnreachable() throws {
        let port = try RedisServer.freePort()
        let harness = ClientHarness()
        defer { harness.stop() }
        let (task, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(port))
        #expect(events?.error?.kind == .unreachable)
        #expect(events?.error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(task.connectNanoseconds == nil)
    }

    @Test func aConnectThatHangsTimesOut() throws {
        let blackhole = try FullBacklogListener()
        defer { blackhole.close() }
        var configuration = HTTPClientConfiguration()
        configuration.connectTimeout = 0.3
        let harness = ClientHarness(configuration: configuration)
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(blackhole.port))
        #expect(events?.error?.kind == .timeout(.connect))
    }

    @Test func aTLSHandshakeThatGetsNoAnswerTimesOut() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try TestHTTPServer(mute: true)  // plain TCP, silent: the ClientHello gets no answer
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.tlsHandshakeTimeout = 0.3
        let harness = ClientHarness(tls: try TLSContext(clientWithCAFile: certificates.caCertificate), configuration: configuration)
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(server.port, secure: true))
        #expect(events?.error?.kind == .timeout(.tlsHandshake))
    }

    @Test func anHTTPSOriginWithoutATLSContextFails() throws {
        let harness = ClientHarness()
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: origin(1, secure: true))
        #expect(events?.error?.kind == .tls)
    }
}

/// A loopback listener that never accepts, with its accept queue filled, so that a further connect
/// gets no answer at all (Linux drops the SYN when the accept queue is full).
final class FullBacklogListener {
    struct Failure: Error {}

    let port: Int
    private let descriptor: Int32
    private var fillers: [Int32] = []

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 0) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw Failure() }
        port = Int(UInt16(bigEndian: address.sin_port))
        // A backlog of 0 still queues one connection: wait until the first one is established, then
        // queue a few more connects so that the queue is surely full.
        for index in 0..<3 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(filler)
            if index == 0 {
                var ready = pollfd(fd: filler, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, 5_000)
            }
        }
    }

    func close() {
        for filler in fillers { Glibc.close(filler) }
        Glibc.close(descriptor)
    }
}
