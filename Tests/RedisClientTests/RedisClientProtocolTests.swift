import Testing
import RedisClient
import RESPCodec

/// The client against a scripted fake server: replies a real Redis never sends.
@Suite(.timeLimit(.minutes(2))) struct RedisClientProtocolTests {
    @Test func garbageIsAProtocolViolation() async throws {
        let server = try FakeRedisServer { command in
            command.first == "HELLO" ? FakeRedisServer.helloReply : Array("HTTP/1.1 400 Bad Request\r\n".utf8)
        }
        defer { server.stop() }
        let harness = ClientHarness(port: server.port) { $0.reconnectInitialDelay = 0.01 }
        defer { harness.close() }
        let result = await harness.send("PING")
        #expect(result.errorKind == .protocolViolation(.unknownType))
        #expect(harness.serverVersion == "9.9.9")
        // The next connection works the same way: no state leaks from the broken one.
        await harness.waitUntilReady()
        #expect(await harness.send("PING").errorKind == .protocolViolation(.unknownType))
    }

    @Test func anUnsolicitedReplyBreaksTheConnection() async throws {
        let server = try FakeRedisServer { command in
            command.first == "HELLO" ? FakeRedisServer.helloReply : Array("+OK\r\n+EXTRA\r\n".utf8)
        }
        defer { server.stop() }
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        #expect(await harness.send("PING").value == .simpleString("OK"))
        // In the history, not the current state: the client may already have reconnected.
        await harness.waitForHistory { states in
            states.contains { if case .waitingToReconnect(let error) = $0 { error.kind == .protocolViolation(.unknownType) } else { false } }
        }
    }

    @Test func aServerWithoutRESP3IsAHandshakeError() async throws {
        let server = try FakeRedisServer { command in
            command.first == "HELLO" ? Array("-ERR unknown command 'HELLO'\r\n".utf8) : Array("+OK\r\n".utf8)
        }
        defer { server.stop() }
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        let result = await harness.send("PING")
        #expect(result.errorKind == .handshake)
        if case .failure(let error) = result { #expect(error.message.contains("Redis 6 or newer")) }
    }

    @Test func aSilentServerTimesOutTheHandshake() async throws {
        let server = try FakeRedisServer { _ in [] }
        defer { server.stop() }
        let harness = ClientHarness(port: server.port) { $0.commandTimeout = 0.2 }
        defer { harness.close() }
        // The outcome, not the wall clock: a loaded CI machine can starve the test's own threads.
        #expect(await harness.send("PING").errorKind == .timeout)
    }

    @Test func pushesBetweenRepliesDoNotShiftTheMatching() async throws {
        let server = try FakeRedisServer { command in
            switch command.first {
            case "HELLO": FakeRedisServer.helloReply
            case "GET": Array(">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n$1\r\n\(command[1])\r\n>1\r\n$4\r\nlate\r\n".utf8)
            default: Array("-ERR no\r\n".utf8)
            }
        }
        defer { server.stop() }
        let harness = ClientHarness(port: server.port)
        defer { harness.close() }
        let results = await harness.pipeline([RESPCommand("GET", "a"), RESPCommand("GET", "b")])
        #expect(results.map(\.value) == [.bulkString(Array("a".utf8)), .bulkString(Array("b".utf8))])
        #expect(await harness.nextPush() == [.bulkString(Array("message".utf8)), .bulkString(Array("x".utf8))])
        #expect(await harness.nextPush() == [.bulkString(Array("late".utf8))])
        #expect(await harness.send("SET", "k", "v").errorKind == .server)
    }
}
