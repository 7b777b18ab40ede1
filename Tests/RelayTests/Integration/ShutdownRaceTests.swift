import Foundation
import HTTPCodec
@testable import Relay
import RelayIO
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Connections the kernel completed before the server stopped are answered, not reset: the ones
/// still in the listening socket's backlog are accepted before it closes, and a drain waits until a
/// connection has read the request it was already sent before closing it.
@Suite struct ShutdownRaceTests {
    static let connectionCount = 24

    static func healthRoute(_ router: inout Router) {
        router.add(.get, "/healthz") { _, writer in
            writer.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(#"{"status":"ok"}"#.utf8)))
        }
    }

    /// A listener that never started accepting still has connections queued in its backlog when it
    /// stops: `stop()` hands every one of them over instead of closing the socket on them.
    @Test func stopHandsOverTheConnectionsStillInTheBacklog() throws {
        let group = EventLoopGroup(count: 2)
        let handedOver = Mutex(0)
        let everyoneServed = DispatchGroup()
        for _ in 0..<Self.connectionCount { everyoneServed.enter() }
        let listener = try Listener(
            address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, group: group, maxConnections: 1000,
            onAccept: { socket, _, _ in
                // Answer and close: a client of a socket closed unaccepted reads a reset instead.
                _ = Array("ok".utf8).withUnsafeBytes { try? socket.write($0) }
                socket.shutdownWrite()
                socket.close()
                handedOver.withLock { $0 += 1 }
                everyoneServed.leave()
            },
            onOverload: { socket, _ in socket.close() },
            onError: { _ in })
        // Not started: the kernel completes these connections but nothing accepts them yet.
        var clients: [TestHTTPClient] = []
        for _ in 0..<Self.connectionCount { clients.append(try TestHTTPClient(port: listener.address.port, timeout: 5)) }
        listener.stop()
        #expect(everyoneServed.wait(timeout: .now() + 10) == .success)
        #expect(handedOver.withLock { $0 } == Self.connectionCount)
        for client in clients {
            var received: [UInt8] = []
            while true {
                let bytes = try client.readChunk()
                if bytes.isEmpty { break }
                received += bytes
            }
            #expect(String(decoding: received, as: UTF8.self) == "ok")
        }
    }

    /// Requests sent on connections that were accepted but not yet read when the drain began are
    /// answered in full, then the connection closes (no reset, no empty reply). The second loop is
    /// held until the server has queued its drain, so its share of the connections registers and
    /// drains before it has read anything: the window a drain used to close them in.
    @Test func requestsSentBeforeShutdownAreAnswered() throws {
        let server = try TestServer(routes: Self.healthRoute)
        let heldLoop = server.server.group.loops[1]
        let release = DispatchSemaphore(value: 0)
        let held = DispatchSemaphore(value: 0)
        heldLoop.execute {
            held.signal()
            release.wait()
        }
        held.wait()
        var clients: [TestHTTPClient] = []
        for _ in 0..<Self.connectionCount {
            let client = try server.client(timeout: 5)
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(client)
        }
        let stopped = DispatchSemaphore(value: 0)
        server.server.shutdown { stopped.signal() }
        release.signal()
        var answered = 0
        var keptAlive = 0
        for client in clients {
            let response: TestHTTPClient.Response
            do {
                response = try client.readResponse()
            } catch {
                Issue.record("no response: \(error)")
                continue
            }
            #expect(response.status == 200)
            #expect(response.text == #"{"status":"ok"}"#)
            // The held loop read its requests after the drain began: those responses say they close.
            if response.headers["Connection"] != "close" { keptAlive += 1 }
            #expect(client.isClosedByServer())
            answered += 1
        }
        #expect(answered == Self.connectionCount)
        #expect(keptAlive < Self.connectionCount, "every response was keep-alive, though one loop read its requests while draining")
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        #expect(server.server.lifecycleState == .stopped)
    }
}
