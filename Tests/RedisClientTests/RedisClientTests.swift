import Foundation
import Testing
import RedisClient
import RelayIO
import RelayTestSupport
import RESPCodec

/// The client against a real `redis-server` started per test on a free loopback port.
@Suite(.enabled(if: RedisServer.isAvailable, Comment(rawValue: RedisServer.skipReason)), .serialized, .timeLimit(.minutes(2)))
struct RedisClientTests {
    @Test func pingAndHello() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        #expect(await harness.send("PING").value == .simpleString("PONG"))
        #expect(harness.state == .ready)
        #expect(harness.serverVersion?.isEmpty == false)
        #expect(await harness.send("CLIENT", "ID").value == harness.connectionID.map { .integer($0) })
        // RESP3 is on: HELLO's reply type (a map) arrives as a map for other commands too.
        #expect(await harness.send("CONFIG", "GET", "port").value == .map([RESPPair(.bulkString(Array("port".utf8)), .bulkString(Array(String(server.port).utf8)))]))
    }

    @Test func setAndGet() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        #expect(await harness.send("SET", "greeting", "hello").value == .simpleString("OK"))
        #expect(await harness.send("GET", "greeting").value == .bulkString(Array("hello".utf8)))
        #expect(await harness.send("GET", "missing").value == .null)
        // Binary-safe arguments and values.
        let bytes: [UInt8] = [0, 13, 10, 255, 36, 42]
        #expect(await harness.send(RESPCommand("SET", binaryArguments: [Array("bin".utf8), bytes])).value == .simpleString("OK"))
        #expect(await harness.send("GET", "bin").value == .bulkString(bytes))
    }

    @Test func thousandPipelinedCommandsAnswerInOrder() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        let commands = (0..<1000).map { _ in RESPCommand("INCR", "counter") }
        let results = await harness.pipeline(commands)
        #expect(results.map(\.value) == (1...1000).map { RESPValue.integer(Int64($0)) })
        // The same through 1000 separate sends in one loop turn: completions in send order.
        let echoes = await harness.sendEach((0..<1000).map { RESPCommand("ECHO", String($0)) })
        #expect(echoes.map(\.value) == (0..<1000).map { RESPValue.bulkString(Array(String($0).utf8)) })
    }

    @Test func streamAppendAndRange() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        var ids: [RESPValue] = []
        for index in 0..<3 {
            let added = await harness.send("XADD", "{s1}:events", "MAXLEN", "~", "100", "*", "data", "event-\(index)")
            let id = try #require(added.value)
            #expect(id.string?.contains("-") == true)
            ids.append(id)
        }
        let range = try #require(await harness.send("XRANGE", "{s1}:events", "-", "+").value)
        let entries = try #require(range.elements)
        #expect(entries.count == 3)
        #expect(entries.map { $0.elements?.first } == ids)
        #expect(entries.last?.elements?.last == .array([.bulkString(Array("data".utf8)), .bulkString(Array("event-2".utf8))]))
        #expect(await harness.send("XLEN", "{s1}:events").value == .integer(3))
    }

    @Test func serverErrorsAreFailuresAndTheConnectionStays() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        let wrongArity = await harness.send("SET", "only-key")
        #expect(wrongArity.errorKind == .server)
        if case .failure(let error) = wrongArity { #expect(error.message.hasPrefix("ERR")) }
        _ = await harness.send("SET", "text", "x")
        let wrongType = await harness.send("LPUSH", "text", "y")
        if case .failure(let error) = wrongType { #expect(error.message.hasPrefix("WRONGTYPE")) } else { Issue.record("LPUSH on a string succeeded") }
        #expect(await harness.send("PING").value == .simpleString("PONG"))
        #expect(harness.recordedStates == [.connecting, .ready])
    }

    @Test func selectsTheDatabaseOfTheURL() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(try RedisClientConfiguration(url: RedisURL(parsing: "redis://127.0.0.1:\(server.port)/3")))
        let other = ClientHarness(port: server.port)
        defer { harness.close(); other.close() }
        #expect(await harness.send("SET", "k", "in-db-3").value == .simpleString("OK"))
        #expect(await harness.send("CLIENT", "INFO").value?.string?.contains(" db=3 ") == true)
        #expect(await other.send("GET", "k").value == .null)
        #expect(await other.send("SELECT", "3").value == .simpleString("OK"))
        #expect(await other.send("GET", "k").value == .bulkString(Array("in-db-3".utf8)))
    }

    @Test func authenticatesInsideHello() async throws {
        let server = try await RedisServer(extraArguments: ["--requirepass", "s3cret pass"])
        let harness = ClientHarness(try RedisClientConfiguration(url: RedisURL(parsing: "redis://:s3cret%20pass@127.0.0.1:\(server.port)"), clientName: "relay-test"))
        defer { harness.close() }
        #expect(await harness.send("PING").value == .simpleString("PONG"))
        #expect(await harness.send("CLIENT", "GETNAME").value == .bulkString(Array("relay-test".utf8)))
        // An ACL user named in the URL.
        #expect(await harness.send("ACL", "SETUSER", "relay", "on", ">userpass", "~*", "+@all").value == .simpleString("OK"))
        let user = ClientHarness(try RedisClientConfiguration(url: RedisURL(parsing: "redis://relay:userpass@127.0.0.1:\(server.port)")))
        defer { user.close() }
        #expect(await user.send("ACL", "WHOAMI").value == .bulkString(Array("relay".utf8)))
    }

    @Test func wrongOrMissingPasswordIsAnAuthenticationError() async throws {
        let server = try await RedisServer(extraArguments: ["--requirepass", "right"])
        let wrong = ClientHarness(try RedisClientConfiguration(url: RedisURL(parsing: "redis://:wrong@127.0.0.1:\(server.port)")))
        let missing = ClientHarness(port: server.port)
        defer { wrong.close(); missing.close() }
        let refused = await wrong.send("PING")
        #expect(refused.errorKind == .authentication)
        if case .failure(let error) = refused {
            #expect(error.message.contains("WRONGPASS"))
            #expect(!error.message.contains("wrong"), "the password must not appear in the error")
        }
        if case .waitingToReconnect(let error) = wrong.state { #expect(error.kind == .authentication) } else { Issue.record("state \(wrong.state)") }
        #expect(await missing.send("PING").errorKind == .authentication)
        // The password override hook fixes it.
        let fixed = ClientHarness(try RedisClientConfiguration(url: RedisURL(parsing: "redis://:wrong@127.0.0.1:\(server.port)").withPassword("right")))
        defer { fixed.close() }
        #expect(await fixed.send("PING").value == .simpleString("PONG"))
    }

    @Test func commandTimeoutResetsTheConnection() async throws {
        let server = try await RedisServer(extraArguments: ["--enable-debug-command", "yes"])
        let harness = ClientHarness(port: server.port) { $0.commandTimeout = 0.3; $0.reconnectInitialDelay = 0.01 }
        defer { harness.close() }
        #expect(await harness.send("PING").value == .simpleString("PONG"))
        // A per-command timeout longer than the sleep lets it finish.
        #expect(await harness.send(RESPCommand("DEBUG", "SLEEP", "0.4"), timeout: 3).value == .simpleString("OK"))
        let started = ContinuousClock.now
        let slow = harness.sendNow(RESPCommand("DEBUG", "SLEEP", "2"))
        let behind = harness.sendNow(RESPCommand("PING"), timeout: 10)
        let (slowResult, behindResult) = (await slow.result, await behind.result)
        let elapsed = ContinuousClock.now - started
        #expect(slowResult.errorKind == .timeout)
        #expect(behindResult.errorKind == .connectionLost)
        // Not before the timeout; no upper bound, which a loaded machine can break (the 2 s sleep
        // shows through in `behindResult`: it failed with the connection, not after the sleep).
        #expect(elapsed >= .milliseconds(250))
        // It reconnects by itself (the server answers again after its sleep).
        await harness.waitUntilReady()
        #expect(await harness.send("PING").value == .simpleString("PONG"))
    }

    @Test func clientUnblockEndsABlockingReadFromAnotherConnection() async throws {
        let server = try await RedisServer()
        let follower = ClientHarness(port: server.port)
        let control = ClientHarness(port: server.port)
        defer { follower.close(); control.close() }
        #expect(await follower.send("PING").value == .simpleString("PONG"))
        let id = try #require(follower.connectionID)
        let blocked = follower.sendNow(RESPCommand("XREAD", "BLOCK", "10000", "STREAMS", "{s}:events", "$"), timeout: 15)
        // The two connections race on the server: wait (bounded) until it reports the follower blocked.
        var polls = 0
        while await control.send("CLIENT", "LIST", "ID", String(id)).value?.string?.contains("cmd=xread") != true {
            polls += 1
            try #require(polls < 1000, "the XREAD never blocked")
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await control.send("CLIENT", "UNBLOCK", String(id)).value == .integer(1))
        #expect(await blocked.result.value == .null)
        #expect(await follower.send("PING").value == .simpleString("PONG"))
    }

    @Test func reconnectsAfterTheServerIsKilledAndRestarted() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port) { $0.reconnectInitialDelay = 0.02; $0.reconnectMaxDelay = 0.2 }
        defer { harness.close() }
        #expect(await harness.send("SET", "before", "1").value == .simpleString("OK"))
        // A command in flight when the server dies fails as lost.
        let inFlight = harness.sendNow(RESPCommand("BLPOP", "nothing", "0"), timeout: 10)
        server.kill()
        #expect(await inFlight.result.errorKind == .connectionLost)
        await harness.waitForState { if case .waitingToReconnect = $0 { true } else { false } }
        // While it is down, commands fail fast instead of waiting for a timeout.
        let down = await harness.send("PING")
        #expect(down.errorKind == .unavailable || down.errorKind == .connect(.refused))
        try await server.start()
        await harness.waitUntilReady()
        #expect(await harness.send("PING").value == .simpleString("PONG"))
        #expect(await harness.send("GET", "before").value == .null)  // no persistence: a new server
        let states = harness.recordedStates
        #expect(states.first == .connecting && states.last == .ready)
        #expect(states.contains { if case .waitingToReconnect(let error) = $0 { error.kind == .connectionLost } else { false } })
    }

    @Test func connectionRefusedBacksOff() async throws {
        let port = try RedisServer.freePort()
        let harness = ClientHarness(port: port) { $0.reconnectInitialDelay = 0.05; $0.reconnectMaxDelay = 0.1 }
        defer { harness.close() }
        #expect(await harness.send("PING").errorKind == .connect(.refused))
        #expect(await harness.send("PING").errorKind == .unavailable)
        // It keeps trying: three more attempts fail in turn.
        await harness.waitForHistory { states in
            states.filter { if case .waitingToReconnect = $0 { true } else { false } }.count >= 4
        }
        #expect(harness.recordedStates.prefix(4) == [.connecting, harness.recordedStates[1], .connecting, harness.recordedStates[3]])
    }

    @Test func pushFramesGoToTheDelegate() async throws {
        let server = try await RedisServer()
        // Tracking lives on the connection: no command timeout (and reconnect) on a loaded machine.
        let harness = ClientHarness(port: server.port) { $0.commandTimeout = 60 }
        let writer = ClientHarness(port: server.port)
        defer { harness.close(); writer.close() }
        #expect(await harness.send("CLIENT", "TRACKING", "ON").value == .simpleString("OK"))
        #expect(await harness.send("GET", "tracked").value == .null)
        #expect(await writer.send("SET", "tracked", "changed").value == .simpleString("OK"))
        let push = await harness.nextPush()
        #expect(push == [.bulkString(Array("invalidate".utf8)), .array([.bulkString(Array("tracked".utf8))])])
        // Replies still match their commands after the push.
        #expect(await harness.send("GET", "tracked").value == .bulkString(Array("changed".utf8)))
    }

    @Test func inFlightIsBounded() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port) { $0.maxInFlight = 2 }
        defer { harness.close() }
        let three = await harness.pipeline([RESPCommand("PING"), RESPCommand("PING"), RESPCommand("PING")])
        #expect(three.map(\.errorKind) == [.tooManyInFlight, .tooManyInFlight, .tooManyInFlight])
        let two = await harness.pipeline([RESPCommand("PING"), RESPCommand("PING")])
        #expect(two.map(\.value) == [.simpleString("PONG"), .simpleString("PONG")])
    }

    @Test func replyLimitsAreEnforced() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port) { $0.decoderLimits = RESPDecoderLimits(maxBulkLength: 1024); $0.reconnectInitialDelay = 0.01 }
        defer { harness.close() }
        #expect(await harness.send("SET", "big", String(repeating: "x", count: 2048)).value == .simpleString("OK"))
        #expect(await harness.send("GET", "big").errorKind == .protocolViolation(.bulkTooLong))
        await harness.waitUntilReady()
        #expect(await harness.send("STRLEN", "big").value == .integer(2048))
    }

    @Test func closeFailsPendingAndLaterCommands() async throws {
        let server = try await RedisServer()
        let harness = ClientHarness(port: server.port)
        #expect(await harness.send("PING").value == .simpleString("PONG"))
        let blocked = harness.sendNow(RESPCommand("BLPOP", "nothing", "0"), timeout: 10)
        harness.close()
        #expect(await blocked.result.errorKind == .closed)
        #expect(await harness.send("PING").errorKind == .closed)
        #expect(harness.state == .closed)
    }

    @Test func tlsWithTheProjectsTransport() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try await RedisServer(tls: (certificates.certificate, certificates.key, certificates.caCertificate))
        let url = try RedisURL(parsing: "rediss://127.0.0.1:\(server.port)")
        let harness = ClientHarness(RedisClientConfiguration(url: url, caFile: certificates.caCertificate))
        defer { harness.close() }
        #expect(await harness.send("PING").value == .simpleString("PONG"))
        #expect(await harness.send("SET", "over", "tls").value == .simpleString("OK"))
        // Without the CA the server's certificate is not trusted.
        let untrusting = ClientHarness(RedisClientConfiguration(url: url))
        defer { untrusting.close() }
        #expect(await untrusting.send("PING").errorKind == .connect(.tls))
        // A plain client against the TLS port gets no RESP (and never hangs past its timeout).
        let plain = ClientHarness(port: server.port) { $0.commandTimeout = 1 }
        defer { plain.close() }
        let result = await plain.send("PING")
        #expect(result.value == nil)
    }
}
