import Foundation
import RedisClient
import RelayIO
import RelayTestSupport
import RESPCodec
import Testing
@testable import Relay

/// Clients that send their request and their FIN together, on the paths where the Redis engine
/// makes the response begin only after a round trip (ticket claim, following another relay's
/// stream, fleet-wide stream admission): the FIN is read first, and the departure must still reach
/// the stream (grace, cancel) and the reader on Redis (its presence key ends).
@Suite(.serialized, .enabled(if: RedisServer.isAvailable, Comment(rawValue: RedisServer.skipReason)))
struct RedisEarlyDepartureTests {
    private func relay(redisPort: Int, instance: String, _ configure: (inout RelayConfiguration) -> Void = { _ in })
        throws -> (RelayApplication, Int) {
        let (application, port, _) = try RedisEngineTests.relay(redisPort: redisPort, instance: instance) { configuration in
            configuration.stream.reconnectGrace = 0.3
            configure(&configuration)
        }
        guard ConnectionProbes.eventually(timeout: 10, { (try? engineStatus(port)) == "ok" }) else {
            application.shutdown()
            throw TestHTTPClient.ClientError.timedOut
        }
        return (application, port)
    }

    private func engineStatus(_ port: Int) throws -> String? {
        try TestHTTPClient(port: port).request("GET", "/healthz").json?["engine_status"] as? String
    }

    private func ticket(_ port: Int, _ prompt: String) throws -> String {
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat", #"{"prompt":"\#(prompt) \#(ConnectionLifecycleTests.longPrompt)"}"#)
        let response = try client.readResponse()
        try #require(response.status == 201)
        return try #require(response.json?["id"] as? String)
    }

    private func getRequest(_ id: String, lastEventID: String? = nil) -> String {
        var text = "GET /chat/stream/\(id) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        if let lastEventID { text += "Last-Event-ID: \(lastEventID)\r\n" }
        return text + "\r\n"
    }

    /// `EXISTS key` on the test's own connection to `redis`.
    private func exists(redisPort: Int, _ key: String) async throws -> Bool {
        let loop = EventLoop(index: 0)
        let client = RedisClient(configuration: RedisClientConfiguration(url: try RedisURL(parsing: "redis://127.0.0.1:\(redisPort)/0")), loop: loop)
        let result: Result<RESPValue, RedisError> = await withCheckedContinuation { continuation in
            loop.execute {
                client.send(RESPCommand("EXISTS", key)) { result in
                    client.close()
                    continuation.resume(returning: result)
                }
            }
        }
        guard case .success(.integer(let count)) = result else {
            Issue.record("EXISTS \(key) failed: \(result)")
            return true
        }
        return count > 0
    }

    /// The `GET` that claims a ticket: the stream is made after the claim's round trip, when the
    /// FIN was already read. The stream must see its reader gone, wait out the grace and cancel.
    @Test func readerLeavingDuringTheClaimIsReported() async throws {
        let redis = try await RedisServer()
        let (application, port) = try relay(redisPort: redis.port, instance: "a")
        defer { application.shutdown(); redis.stop() }
        let id = try ticket(port, "claim")
        let reader = try TestHTTPClient(port: port, timeout: 5)
        ConnectionProbes.sendThenFinish(reader, getRequest(id))
        #expect(reader.isClosedByServer())
        let quiet = ConnectionProbes.eventually { ConnectionProbes.isQuiet(application) }
        #expect(quiet, "streams \(application.gate.openStreams), upstream sockets \(application.simulator?.openConnections ?? -1)")
        #expect(try ConnectionProbes.finishedStreams(port: port, outcome: "client_disconnected") == 1)
    }

    /// A reader on relay "b" of a stream relay "a" runs, gone before it began: it must not poll
    /// (its presence key would keep "a"'s upstream alive past the grace), and "a" must cancel once
    /// its own reader's grace ran out.
    @Test func remoteReaderLeavingBeforeItBeganIsReported() async throws {
        let redis = try await RedisServer()
        let (a, portA) = try relay(redisPort: redis.port, instance: "a")
        defer { a.shutdown(); redis.stop() }
        let (b, portB) = try relay(redisPort: redis.port, instance: "b")
        defer { b.shutdown() }
        let id = try ticket(portA, "remote")
        var owner: TestHTTPClient? = try TestHTTPClient(port: portA)
        owner?.send(getRequest(id))
        let seen = try #require(try owner?.readStream(stopAfter: 3))
        let lastID = try #require(seen.events.last?.lastEventID)
        owner = nil  // the owner's grace starts; only a reader elsewhere could extend it
        let reader = try TestHTTPClient(port: portB, timeout: 5)
        ConnectionProbes.sendThenFinish(reader, getRequest(id, lastEventID: lastID))
        #expect(reader.isClosedByServer())
        let quiet = ConnectionProbes.eventually { ConnectionProbes.isQuiet(a) && ConnectionProbes.isQuiet(b) }
        #expect(quiet, "streams on a \(a.gate.openStreams), upstream sockets \(a.simulator?.openConnections ?? -1)")
        #expect(try ConnectionProbes.finishedStreams(port: portA, outcome: "client_disconnected") == 1)
        #expect(try await !exists(redisPort: redis.port, "sr:{\(id)}:reader"))
    }

    /// `POST /chat/stream` with a per-client stream limit: the slot comes from Redis (fleet
    /// admission), so the stream attaches after the FIN was read. It must cancel at once.
    @Test func clientLeavingDuringFleetAdmissionIsReported() async throws {
        let redis = try await RedisServer()
        let (application, port) = try relay(redisPort: redis.port, instance: "a") { $0.limits.maxStreamsPerClient = 4 }
        defer { application.shutdown(); redis.stop() }
        let client = try TestHTTPClient(port: port, timeout: 5)
        ConnectionProbes.sendThenFinish(client, ConnectionLifecycleTests.streamRequest("admitted"))
        #expect(client.isClosedByServer())
        let quiet = ConnectionProbes.eventually { ConnectionProbes.isQuiet(application) }
        #expect(quiet, "streams \(application.gate.openStreams), upstream sockets \(application.simulator?.openConnections ?? -1)")
        #expect(try ConnectionProbes.finishedStreams(port: port, outcome: "client_disconnected") == 1)
    }
}
