import Foundation
import Logging
import HTTPCodec
import RelayIO
import SparkCodec
import SparkSimulator
import Testing
@testable import Relay
#if canImport(Glibc)
import Glibc
#endif

/// Faults from both sides: a slow reader, a misbehaving upstream that never answers, clients that
/// leave during the upstream handshake, during a replay and during shutdown. None may hang, crash
/// or leak a descriptor.
@Suite(.serialized) struct FaultTests {
    /// Open sockets of this process: what a leaked connection holds. Other descriptors are left out,
    /// such as the epoll and eventfd pair of each event loop that tests running in parallel create
    /// and release with their relays.
    /// Waits until the relay holds at most `connections` client connections and (with a simulator)
    /// the simulator at most `upstream` open sockets: what a leaked connection or upstream socket
    /// would keep up. Counted on the relay and the simulator under test, not on the whole process,
    /// where other suites open and close sockets at the same time.
    static func expectNoLeak(_ application: RelayApplication, connections: Int = 0, upstream: Int = 0,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let deadline = ContinuousClock.now + .seconds(10)
        func settled() -> Bool {
            application.server.connectionCount <= connections && (application.simulator?.openConnections ?? 0) <= upstream
        }
        while !settled() && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(application.server.connectionCount <= connections, "client connections leaked", sourceLocation: sourceLocation)
        #expect((application.simulator?.openConnections ?? 0) <= upstream, "upstream connections leaked", sourceLocation: sourceLocation)
    }

    private func metric(_ application: RelayApplication, _ name: String) -> Double {
        let text = String(decoding: application.metrics.render(), as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
    }

    @Test func aSlowReaderPausesTheUpstreamAndMemoryStaysBounded() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let total = 100_000
        let client = try TestHTTPClient(port: port, timeout: 30)
        client.postJSON("/chat/stream", #"{"prompt":"flood [[chunks:\#(total)]] [[delay:0]]"}"#)
        // Do not read. Wait until the relay stops taking frames from the upstream.
        var last = -1.0
        var stableSince = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let now = metric(application, "relay_chunks_relayed_total")
            if now != last { last = now; stableSince = ContinuousClock.now }
            if last > 0 && ContinuousClock.now - stableSince > .milliseconds(500) { break }
            usleep(20_000)
        }
        #expect(last > 0 && last < Double(total), "the upstream was not paused: \(last) of \(total) frames taken")
        #expect(metric(application, "relay_replay_buffer_bytes") <= Double(application.configuration.stream.replayBufferBytes))
        // Reading again resumes the stream; nothing was lost.
        let response = try client.readStream()
        #expect(response.dataEvents.count == total)
        #expect(response.sequenceNumbers.last == total + 1)
        #expect(response.terminal?.type == "done")
    }

    @Test func clientLeavingDuringTheUpstreamHandshakeClosesEverything() throws {
        // A misbehaving upstream: accepts TCP and never answers the WebSocket upgrade.
        let silent = try Socket.makeListening(address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, backlog: 16)
        defer { silent.close() }
        var configuration = RelayConfiguration()
        configuration.server.port = 0
        configuration.server.eventLoops = 1
        configuration.upstream.handshakeTimeout = 30
        let credentials = SparkCredentials(appID: "app1", apiKey: "k", apiSecret: "s")
        let base = SparkEndpoint(scheme: "ws", host: "127.0.0.1", port: try silent.localAddress().port, path: "/")
        let settings = try UpstreamSettings.make(from: configuration.upstream, mode: .spark, credentials: credentials, base: base)
        let relay = try RelayApplication(configuration: configuration, logger: .init(label: "t") { _ in SwiftLogNoOp() }, upstream: settings)
        let port = try relay.start().port
        defer { relay.shutdown() }
        for _ in 0..<5 {
            var client: TestHTTPClient? = try TestHTTPClient(port: port)
            client?.postJSON("/chat/stream", #"{"prompt":"x"}"#)
            _ = try client?.readStream(stopAfter: 0)  // headers flushed while the upstream hangs
            // Accept the relay's upstream connection so it is really mid-handshake, then leave.
            var accepted: Socket?
            let deadline = ContinuousClock.now + .seconds(5)
            while accepted == nil && ContinuousClock.now < deadline {
                if case .processed(let (socket, _))? = try? silent.accept() { accepted = socket } else { usleep(5_000) }
            }
            #expect(accepted != nil)
            client = nil
            // The relay closes its side of the upstream: the silent peer reads end of stream.
            var buffer = [UInt8](repeating: 0, count: 4096)
            var closed = false
            let readDeadline = ContinuousClock.now + .seconds(5)
            while !closed && ContinuousClock.now < readDeadline {
                let n = buffer.withUnsafeMutableBytes { recv(accepted!.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n == 0 { closed = true } else { usleep(5_000) }
            }
            #expect(closed, "the upstream connection was not closed when the client left")
            accepted?.close()
        }
        Self.expectNoLeak(relay)
    }

    @Test func clientLeavingDuringAReplayIsHarmless() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let setup = try TestHTTPClient(port: port)
        setup.postJSON("/chat", #"{"prompt":"replay [[chunks:500]]"}"#)
        let url = try #require(try setup.readResponse().json?["stream_url"] as? String)
        let id = String(url.split(separator: "/").last!)
        setup.send("GET \(url) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try setup.readStream().terminal?.type == "done")
        for _ in 0..<10 {
            var reader: TestHTTPClient? = try TestHTTPClient(port: port)
            reader?.send("GET \(url) HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(id):1\r\n\r\n")
            _ = try reader?.readStream(stopAfter: 3)
            reader = nil  // leaves in the middle of a 500-event replay
        }
        let full = try TestHTTPClient(port: port)
        full.send("GET \(url) HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(id):0\r\n\r\n")
        let replay = try full.readStream()
        #expect(replay.dataEvents.count == 500)
        Self.expectNoLeak(application, connections: 2)  // `setup` and `full` are still open
    }

    @Test func clientLeavingDuringShutdownLetsTheDrainFinish() throws {
        let (application, port) = try ChatStreamTests.relay()
        let simulator = try #require(application.simulator)
        var clients: [TestHTTPClient] = []
        for index in 0..<4 {
            let client = try TestHTTPClient(port: port)
            client.postJSON("/chat/stream", #"{"prompt":"drain\#(index) [[chunks:500]] [[delay:20]]"}"#)
            _ = try client.readStream(stopAfter: 2)
            clients.append(client)
        }
        let stopped = DispatchSemaphore(value: 0)
        application.shutdown { stopped.signal() }
        clients.removeAll()  // every client leaves while the server drains
        #expect(stopped.wait(timeout: .now() + 10) == .success, "the drain did not finish after its clients left")
        #expect(simulator.waitForConnectionCount(0, timeout: 5))
        let records = simulator.finishedConnections
        #expect(records.filter { $0.end == .clientClosed(code: 1000) }.count == 4)
    }
}

/// A log handler that drops everything (tests that do not look at logs).
struct SwiftLogNoOp: LogHandler {
    var logLevel: Logger.Level = .critical
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) {}
}
