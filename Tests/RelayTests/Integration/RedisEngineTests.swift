import Foundation
import HTTPCodec
import Logging
import RedisClient
import RelayIO
import RESPCodec
import SparkSimulator
import RelayTestSupport
import Testing
@testable import Relay

/// The Redis stream engine with two relays (in-process applications, each with its embedded
/// simulator) sharing one real `redis-server`: tickets claimed once from any relay, readers moving
/// between relays, a lost owner, Redis going down and coming back.
@Suite(.serialized, .enabled(if: RedisServer.isAvailable, Comment(rawValue: RedisServer.skipReason)))
struct RedisEngineTests {
    static func relay(redisPort: Int, instance: String, _ configure: (inout RelayConfiguration) -> Void = { _ in })
        throws -> (RelayApplication, Int, LogCapture) {
        try TestServer.application { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            configuration.cluster.engine = .redis
            configuration.cluster.redisURL = "redis://127.0.0.1:\(redisPort)/0"
            configuration.cluster.instanceID = instance
            configuration.cluster.heartbeatInterval = 0.2
            configuration.cluster.followPollInterval = 0.01
            configure(&configuration)
        }
    }

    /// Relays "a" and "b" on the same Redis, both with their engine reported `ok`: the set-up most
    /// tests here share. A plain struct made by a synchronous factory (no async fixture): swiftc 6.3
    /// crashed splitting the coroutines of these tests around an async fixture class (RedisFleet).
    struct RelayPair {
        let a: RelayApplication
        let portA: Int
        let b: RelayApplication
        let portB: Int

        /// Shuts both relays down.
        func shutdown() {
            a.shutdown()
            b.shutdown()
        }
    }

    /// Starts the pair: `configure` applies to both relays, `onlyA` to relay "a" after it.
    private func relayPair(redisPort: Int, _ configure: (inout RelayConfiguration) -> Void = { _ in },
                           onlyA: (inout RelayConfiguration) -> Void = { _ in }) throws -> RelayPair {
        let (a, portA, _) = try Self.relay(redisPort: redisPort, instance: "a") { configuration in
            configure(&configuration)
            onlyA(&configuration)
        }
        let b: RelayApplication
        let portB: Int
        do {
            (b, portB, _) = try Self.relay(redisPort: redisPort, instance: "b", configure)
        } catch {
            a.shutdown()
            throw error
        }
        let pair = RelayPair(a: a, portA: portA, b: b, portB: portB)
        do {
            _ = try awaitEngineStatus(portA, "ok")
            _ = try awaitEngineStatus(portB, "ok")
        } catch {
            pair.shutdown()
            throw error
        }
        return pair
    }

    private func ticket(_ client: TestHTTPClient, prompt: String) throws -> (id: String, url: String) {
        client.postJSON("/chat", #"{"prompt":"\#(prompt)"}"#)
        let response = try client.readResponse()
        try #require(response.status == 201)
        let json = try #require(response.json)
        let id = try #require(json["id"] as? String)
        return (id, "/chat/stream/\(id)")
    }

    private func get(_ client: TestHTTPClient, _ url: String, lastEventID: String? = nil) {
        var text = "GET \(url) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        if let lastEventID { text += "Last-Event-ID: \(lastEventID)\r\n" }
        client.send(text + "\r\n")
    }

    /// Waits (bounded) until `/healthz` reports `engine_status`.
    func awaitEngineStatus(_ port: Int, _ status: String, timeout: Double = 10) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let client = try TestHTTPClient(port: port)
            last = try client.request("GET", "/healthz").json ?? [:]
            if last["engine_status"] as? String == status { return last }
            usleep(20_000)
        }
        Issue.record("engine_status stayed \(last["engine_status"] ?? "absent"), expected \(status)")
        return last
    }

    @Test func memoryEngineIsTheDefaultAndSaysSo() throws {
        let (application, port, _) = try TestServer.application { $0.upstream.mode = .simulator }
        defer { application.shutdown() }
        let health = try TestHTTPClient(port: port).request("GET", "/healthz").json ?? [:]
        #expect(health["engine"] as? String == "memory")
        #expect(health["engine_status"] == nil)
        #expect(application.instanceID == nil)
    }

    @Test func ticketMadeOnOneRelayIsClaimedOnceOnAnother() async throws {
        let redis = try await RedisServer()
        let relays = try relayPair(redisPort: redis.port)
        defer { relays.shutdown(); redis.stop() }
        let (a, portA, b, portB) = (relays.a, relays.portA, relays.b, relays.portB)
        let stream = try ticket(try TestHTTPClient(port: portA), prompt: "shared")
        let reader = try TestHTTPClient(port: portB)
        get(reader, stream.url)
        let response = try reader.readStream()
        #expect(response.status == 200)
        #expect(response.headers["X-Stream-Id"] == stream.id)
        #expect(response.text == SimulatorScript.answer(for: "shared"))
        #expect(response.terminal?.type == "done")
        #expect(response.sequenceNumbers == Array(1...response.sequenceNumbers.count))
        // The upstream ran on the claiming relay only.
        #expect(b.simulator?.acceptedRequests == 1)
        #expect(a.simulator?.acceptedRequests == 0)
        // A reader landing on the first relay afterwards reads the same events from Redis.
        let replay = try TestHTTPClient(port: portA)
        get(replay, stream.url, lastEventID: "\(stream.id):2")
        let tail = try replay.readStream()
        #expect(tail.sequenceNumbers == Array(response.sequenceNumbers.dropFirst(2)))
        #expect(tail.terminal?.type == "done")
        #expect(a.simulator?.acceptedRequests == 0)
        // Unknown ids are still 204 everywhere.
        let unknown = try TestHTTPClient(port: portA)
        get(unknown, "/chat/stream/0123456789abcdef0123456789abcdef")
        #expect(try unknown.readResponse().status == 204)
    }

    @Test func aTicketOnAnHTTPModelIsClaimedAndReplayedAcrossRelays() async throws {
        let redis = try await RedisServer()
        let relays = try relayPair(redisPort: redis.port) { $0.upstream.sparkProtocol = .http }
        defer { relays.shutdown(); redis.stop() }
        let stream = try ticket(try TestHTTPClient(port: relays.portA), prompt: "over http [[function:get_weather]]")
        let reader = try TestHTTPClient(port: relays.portB)
        get(reader, stream.url)
        let response = try reader.readStream()
        #expect(response.terminal?.type == "done")
        #expect(response.sequenceNumbers == Array(1...response.sequenceNumbers.count))
        #expect(response.rawText.contains(#""tool_calls":[{"id":"#))
        let metricsB = String(decoding: relays.b.metrics.render(), as: UTF8.self)
        #expect(metricsB.contains(#"relay_upstream_conversations_total{protocol="http"} 1"#))
        // Replayed from Redis on the other relay: the same events, tool call ids included.
        let replay = try TestHTTPClient(port: relays.portA)
        get(replay, stream.url, lastEventID: "\(stream.id):0")
        let again = try replay.readStream()
        #expect(again.events.map(\.data) == response.events.map(\.data))
    }

    @Test func readerMovesToAnotherRelayMidStreamAndLosesNothing() async throws {
        let redis = try await RedisServer()
        // A short grace: the owner must keep the upstream because the other relay holds the reader.
        let relays = try relayPair(redisPort: redis.port, onlyA: { $0.stream.reconnectGrace = 0.2 })
        defer { relays.shutdown(); redis.stop() }
        let (a, portA, b, portB) = (relays.a, relays.portA, relays.b, relays.portB)
        let stream = try ticket(try TestHTTPClient(port: portA), prompt: "move [[chunks:60]] [[delay:20]]")
        var first: TestHTTPClient? = try TestHTTPClient(port: portA)
        get(first!, stream.url)
        let before = try first!.readStream(stopAfter: 5)
        first = nil  // the browser's connection drops; its reconnect lands on the other relay
        let lastID = try #require(before.events.last?.lastEventID)
        let second = try TestHTTPClient(port: portB)
        get(second, stream.url, lastEventID: lastID)
        let after = try second.readStream()
        #expect(after.status == 200)
        let all = before.events + after.events
        let sequences = all.compactMap { Int($0.lastEventID.split(separator: ":").last ?? "") }
        #expect(sequences == Array(1...sequences.count))
        let combined = StreamedResponse(status: 200, headers: HTTPHeaders(), raw: [], events: all, retry: nil, ended: true)
        #expect(combined.text == SimulatorScript.answer(for: "move"))
        #expect(combined.dataEvents.count == 60)
        #expect(after.terminal?.type == "done")
        #expect(a.simulator?.acceptedRequests == 1)
        #expect(b.simulator?.acceptedRequests == 0)
    }

    /// Writes a stream into Redis as a relay that no longer exists would have left it.
    private func plantOrphan(redisPort: Int, id: String, owner: String, events: [StreamEvent], ownerAliveFor: Int? = nil) async throws {
        let loop = EventLoop(index: 0)
        let client = RedisClient(configuration: RedisClientConfiguration(url: try RedisURL(parsing: "redis://127.0.0.1:\(redisPort)/0")), loop: loop)
        var commands = [RESPCommand("HSET", "sr:{\(id)}:meta", "state", "live", "owner", owner, "last", String(events.count))]
        for event in events {
            var xadd = RESPCommand("XADD", "sr:{\(id)}:events", "0-\(event.sequence)")
            for field in StreamEventFields.encode(event) { xadd.append(bytes: field) }
            commands.append(xadd)
        }
        if let ownerAliveFor { commands.append(RESPCommand("SET", "sr:instance:{\(owner)}", "1", "PX", String(ownerAliveFor))) }
        let planted = commands
        let results: [Result<RESPValue, RedisError>] = await withCheckedContinuation { continuation in
            loop.execute {
                client.pipeline(planted) { results in
                    client.close()
                    continuation.resume(returning: results)
                }
            }
        }
        for result in results {
            if case .failure(let error) = result { Issue.record("planting the orphan failed: \(error)") }
        }
    }

    private func dataEvent(_ sequence: Int, _ text: String) -> StreamEvent {
        var event = StreamEvent(kind: .data, json: Array(#"{"choices":{"status":1,"seq":0,"text":[{"content":"\#(text)","role":"assistant","index":0}]}}"#.utf8), text: text)
        event.sequence = sequence
        return event
    }

    @Test func lostOwnerGivesTheReplayedEventsThenRelayInstanceLost() async throws {
        let redis = try await RedisServer()
        let (b, portB, _) = try Self.relay(redisPort: redis.port, instance: "b")
        defer { b.shutdown(); redis.stop() }
        _ = try awaitEngineStatus(portB, "ok")
        // The owner's heartbeat runs out 600 ms from now, as if it was SIGKILLed then.
        let id = "00112233445566778899aabbccddeeff"
        try await plantOrphan(redisPort: redis.port, id: id, owner: "ghost", events: [dataEvent(1, "Hel"), dataEvent(2, "lo")],
                              ownerAliveFor: 600)
        let reader = try TestHTTPClient(port: portB, timeout: 10)
        get(reader, "/chat/stream/\(id)", lastEventID: "\(id):0")
        let started = Date()
        let response = try reader.readStream()
        #expect(response.status == 200)
        #expect(response.text == "Hello")
        #expect(response.sequenceNumbers == [1, 2, 3])
        #expect(response.terminal?.type == "stream-error")
        #expect(response.errorObject?["code"] as? String == "relay_instance_lost")
        #expect(response.errorObject?["type"] as? String == "relay_error")
        #expect(Date().timeIntervalSince(started) >= 0.4)
        // A later reader (any relay) gets the same end from Redis, and no upstream was opened.
        let again = try TestHTTPClient(port: portB)
        get(again, "/chat/stream/\(id)", lastEventID: "\(id):1")
        let tail = try again.readStream()
        #expect(tail.sequenceNumbers == [2, 3])
        #expect(tail.errorObject?["code"] as? String == "relay_instance_lost")
        #expect(b.simulator?.acceptedRequests == 0)
    }

    /// A `Last-Event-ID` past the log of a stream whose owner is gone once trapped on `last + 1` and
    /// took the reading relay down: it is clamped to the log's last event now, the reader gets the
    /// `relay_instance_lost` end at the next id, and the relay keeps serving.
    @Test func lastEventIDPastTheLogOfALostOwnerIsClamped() async throws {
        let redis = try await RedisServer()
        let (b, portB, _) = try Self.relay(redisPort: redis.port, instance: "b")
        defer { b.shutdown(); redis.stop() }
        _ = try awaitEngineStatus(portB, "ok")
        let id = "00112233445566778899aabbccddee00"
        try await plantOrphan(redisPort: redis.port, id: id, owner: "ghost", events: [dataEvent(1, "Hel"), dataEvent(2, "lo")],
                              ownerAliveFor: 300)
        let reader = try TestHTTPClient(port: portB, timeout: 10)
        get(reader, "/chat/stream/\(id)", lastEventID: "\(id):\(Int.max)")
        let response = try reader.readStream()
        #expect(response.status == 200)
        #expect(response.sequenceNumbers == [3])
        #expect(response.errorObject?["code"] as? String == "relay_instance_lost")
        // The log is complete now (state done): past its end or at it, the reader has everything: 204.
        let done = try TestHTTPClient(port: portB)
        for value in [Int.max, Int.max - 1, 1 << 62, 4, 3] {
            get(done, "/chat/stream/\(id)", lastEventID: "\(id):\(value)")
            #expect(try done.readResponse().status == 204, "\(value)")
        }
        get(done, "/chat/stream/\(id)", lastEventID: "\(id):2")
        let end = try done.readStream()
        #expect(end.sequenceNumbers == [3])
        #expect(end.errorObject?["code"] as? String == "relay_instance_lost")
        for value in ["\(id):-1", "\(id):99999999999999999999999", "0123456789abcdef0123456789abcdef:1"] {
            get(done, "/chat/stream/\(id)", lastEventID: value)
            let refused = try done.readResponse()
            #expect(refused.status == 400, "\(value)")
            #expect(refused.errorCode == "invalid_last_event_id")
        }
        // Ahead of the log by an event the owner sent but never got written: the end comes next.
        let ahead = "00112233445566778899aabbccddee01"
        try await plantOrphan(redisPort: redis.port, id: ahead, owner: "ghost2", events: [dataEvent(1, "Hel"), dataEvent(2, "lo")],
                              ownerAliveFor: 300)
        get(done, "/chat/stream/\(ahead)", lastEventID: "\(ahead):3")
        let next = try done.readStream()
        #expect(next.sequenceNumbers == [4])
        #expect(next.errorObject?["code"] as? String == "relay_instance_lost")
        let health = try TestHTTPClient(port: portB)
        health.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try health.readResponse().status == 200)
    }

    @Test func redisDownKeepsDirectStreamsAndRefusesTicketsThenRecovers() async throws {
        let redis = try await RedisServer()
        let (a, port, logs) = try Self.relay(redisPort: redis.port, instance: "a")
        defer { a.shutdown(); redis.stop() }
        let healthy = try awaitEngineStatus(port, "ok")
        #expect(healthy["engine"] as? String == "redis")
        redis.kill()
        let degraded = try awaitEngineStatus(port, "degraded")
        #expect(degraded["engine"] as? String == "redis")
        #expect(degraded["status"] as? String == "ok")
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat", #"{"prompt":"x"}"#)
        let refused = try client.readResponse()
        #expect(refused.status == 503)
        #expect(refused.errorCode == "engine_unavailable")
        #expect(refused.headers["Retry-After"] != nil)
        client.postJSON("/chat/stream", #"{"prompt":"still here"}"#)
        let direct = try client.readStream()
        #expect(direct.text == SimulatorScript.answer(for: "still here"))
        #expect(direct.terminal?.type == "done")
        #expect(logs.lines.filter { $0.contains("REDIS ENGINE DEGRADED") }.count == 1)
        let metrics = String(decoding: try TestHTTPClient(port: port).request("GET", "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("relay_engine_up 0"))
        #expect(metrics.contains("relay_engine_errors_total"))
        try await redis.start()
        _ = try awaitEngineStatus(port, "ok")
        let stream = try ticket(try TestHTTPClient(port: port), prompt: "back")
        let reader = try TestHTTPClient(port: port)
        get(reader, stream.url)
        #expect(try reader.readStream().text == SimulatorScript.answer(for: "back"))
        let recovered = String(decoding: try TestHTTPClient(port: port).request("GET", "/metrics").body, as: UTF8.self)
        #expect(recovered.contains("relay_engine_up 1"))
        #expect(recovered.contains("relay_redis_command_duration_seconds_bucket"))
    }

    /// A second relay on the same Spark app as `host` (same credentials, same simulator), with its
    /// own credential pool, so that only Redis can make their limits shared.
    static func sibling(of host: RelayApplication, redisPort: Int, instance: String,
                        _ configure: (inout RelayConfiguration) -> Void) throws -> (RelayApplication, Int) {
        var configuration = RelayConfiguration()
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.eventLoops = 2
        configuration.cluster.engine = .redis
        configuration.cluster.redisURL = "redis://127.0.0.1:\(redisPort)/0"
        configuration.cluster.instanceID = instance
        configuration.cluster.heartbeatInterval = 0.2
        configure(&configuration)
        let settings = try UpstreamSettings.make(from: configuration.upstream, mode: .spark, credentials: host.upstream.credentials,
                                                 base: host.upstream.base)
        let logger = Logger(label: "test") { label in RelayLogHandler(label: label, level: .critical, sink: { _ in }) }
        let relay = try RelayApplication(configuration: configuration, logger: logger, upstream: settings)
        return (relay, try relay.start().port)
    }

    @Test func appConcurrencyHoldsAcrossRelays() async throws {
        let redis = try await RedisServer()
        let limits: (inout RelayConfiguration) -> Void = { configuration in
            configuration.upstream.appMaxConcurrency = 1
            configuration.upstream.queueTimeout = 0.3
        }
        let (a, portA, _) = try Self.relay(redisPort: redis.port, instance: "a", limits)
        let (b, portB) = try Self.sibling(of: a, redisPort: redis.port, instance: "b", limits)
        defer { a.shutdown(); b.shutdown(); redis.stop() }
        _ = try awaitEngineStatus(portA, "ok")
        _ = try awaitEngineStatus(portB, "ok")
        let simulator = try #require(a.simulator)
        // One long conversation on relay A holds the app's only fleet-wide slot…
        let long = try TestHTTPClient(port: portA)
        long.postJSON("/chat/stream", #"{"prompt":"hold [[chunks:60]] [[delay:20]]"}"#)
        _ = try long.readStream(stopAfter: 2)
        // …so relay B, whose own pool is empty, queues and then gives up without reaching Spark.
        let refused = try TestHTTPClient(port: portB)
        refused.postJSON("/chat/stream", #"{"prompt":"second"}"#)
        let busy = try refused.readStream()
        #expect(busy.errorObject?["code"] as? String == "upstream_busy")
        #expect(simulator.acceptedRequests == 1)
        // Once A's conversation is over the lease is back and B gets through.
        let rest = try long.drainChunkedRemainder()
        #expect(rest.contains("event: done"))
        let later = try TestHTTPClient(port: portB)
        later.postJSON("/chat/stream", #"{"prompt":"third"}"#)
        let served = try later.readStream()
        #expect(served.terminal?.type == "done")
        #expect(simulator.acceptedRequests == 2)
    }

    @Test func deadRelaysAppLeasesExpire() async throws {
        let redis = try await RedisServer()
        let (a, port, _) = try Self.relay(redisPort: redis.port, instance: "a") { configuration in
            configuration.upstream.appMaxConcurrency = 1
            configuration.upstream.queueTimeout = 3
            configuration.cluster.leaseTTL = 1
        }
        defer { a.shutdown(); redis.stop() }
        _ = try awaitEngineStatus(port, "ok")
        // A relay that died holding the app's only lease: nobody renews it.
        let app = a.upstream.credentials.appID
        try await plantLease(redisPort: redis.port, app: app, member: "ghost:1", expiresInMilliseconds: 1000)
        let started = Date()
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"after the ghost"}"#)
        let response = try client.readStream()
        #expect(response.terminal?.type == "done")
        #expect(Date().timeIntervalSince(started) >= 0.5)
    }

    private func plantLease(redisPort: Int, app: String, member: String, expiresInMilliseconds: Int) async throws {
        let loop = EventLoop(index: 0)
        let client = RedisClient(configuration: RedisClientConfiguration(url: try RedisURL(parsing: "redis://127.0.0.1:\(redisPort)/0")), loop: loop)
        let key = RedisAppLimiter.leasesKey(app)
        let result: Result<RESPValue, RedisError> = await withCheckedContinuation { continuation in
            loop.execute {
                let script = "local t = redis.call('TIME') return redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1]), ARGV[2])"
                client.send(RESPCommand("EVAL", script, "1", key, String(expiresInMilliseconds), member)) { result in
                    client.close()
                    continuation.resume(returning: result)
                }
            }
        }
        #expect(result == .success(.integer(1)))
    }

    @Test func clientRequestRateHoldsAcrossRelays() async throws {
        let redis = try await RedisServer()
        let limits: (inout RelayConfiguration) -> Void = { configuration in
            configuration.limits.requestsPerMinute = 1
            configuration.limits.burst = 3
        }
        let relays = try relayPair(redisPort: redis.port, limits)
        defer { relays.shutdown(); redis.stop() }
        let (portA, portB) = (relays.portA, relays.portB)
        // Three requests fit the burst, spread over both relays; each relay alone would allow three.
        var statuses: [Int] = []
        for port in [portA, portB, portA, portB] {
            let client = try TestHTTPClient(port: port)
            client.postJSON("/chat", #"{"prompt":"x"}"#)
            let response = try client.readResponse()
            statuses.append(response.status)
            if response.status == 429 {
                #expect(response.errorCode == "rate_limited")
                #expect(Int(response.headers["Retry-After"] ?? "") ?? 0 >= 1)
            }
        }
        #expect(statuses == [201, 201, 201, 429])
    }

    @Test func aReaderOnAnotherRelayKeepsALongStreamAliveAcrossEviction() async throws {
        let redis = try await RedisServer()
        // A replay bound of a dozen events, an answer of 80: the owner has no local reader while it
        // evicts, but the stream is followed from another relay, so it must not end replay_buffer_full.
        let small: (inout RelayConfiguration) -> Void = { $0.stream.replayBufferBytes = 4096; $0.stream.reconnectGrace = 0.2 }
        let relays = try relayPair(redisPort: redis.port, small)
        defer { relays.shutdown(); redis.stop() }
        let (portA, portB) = (relays.portA, relays.portB)
        let stream = try ticket(try TestHTTPClient(port: portA), prompt: "long [[chunks:80]] [[delay:10]]")
        var first: TestHTTPClient? = try TestHTTPClient(port: portA)
        get(first!, stream.url)
        let before = try first!.readStream(stopAfter: 3)
        first = nil
        let second = try TestHTTPClient(port: portB)
        get(second, stream.url, lastEventID: try #require(before.events.last?.lastEventID))
        let after = try second.readStream()
        #expect(after.terminal?.type == "done")
        #expect((before.sequenceNumbers + after.sequenceNumbers) == Array(1...81))
    }

    @Test func eventsAppendedWhileRedisIsDownAreWrittenWhenItIsBack() async throws {
        let redis = try await RedisServer()
        let relays = try relayPair(redisPort: redis.port)
        defer { relays.shutdown(); redis.stop() }
        let (portA, portB) = (relays.portA, relays.portB)
        let stream = try ticket(try TestHTTPClient(port: portA), prompt: "outage [[chunks:60]] [[delay:20]]")
        let owner = try TestHTTPClient(port: portA)
        get(owner, stream.url)
        _ = try owner.readStream(stopAfter: 5)
        // Redis goes away mid-stream (losing everything: no persistence) and comes back.
        redis.kill()
        _ = try awaitEngineStatus(portA, "degraded")
        try await redis.start()
        _ = try awaitEngineStatus(portA, "ok")
        // The local reader never noticed.
        let rest = try owner.drainChunkedRemainder()
        #expect(rest.contains("event: done"))
        // A reader elsewhere finds the stream again: what Redis lost is reported, never skipped, and
        // everything written since is there, ending with done.
        let late = try TestHTTPClient(port: portB)
        get(late, stream.url, lastEventID: "\(stream.id):0")
        let response = try late.readStream()
        #expect(response.status == 200)
        #expect(response.errorObject?["code"] as? String == "replay_unavailable")
        let tail = try TestHTTPClient(port: portB)
        get(tail, stream.url, lastEventID: "\(stream.id):60")
        let end = try tail.readStream()
        #expect(end.sequenceNumbers == [61])
        #expect(end.terminal?.type == "done")
    }

    @Test func clientStreamLimitHoldsAcrossRelays() async throws {
        let redis = try await RedisServer()
        let limits: (inout RelayConfiguration) -> Void = { $0.limits.maxStreamsPerClient = 1 }
        let relays = try relayPair(redisPort: redis.port, limits)
        defer { relays.shutdown(); redis.stop() }
        let (portA, portB) = (relays.portA, relays.portB)
        let long = try TestHTTPClient(port: portA)
        long.postJSON("/chat/stream", #"{"prompt":"hold [[chunks:60]] [[delay:20]]"}"#)
        _ = try long.readStream(stopAfter: 2)
        // The same client (127.0.0.1) on the other relay: its one stream is already open.
        let refused = try TestHTTPClient(port: portB)
        refused.postJSON("/chat/stream", #"{"prompt":"second"}"#)
        let response = try refused.readResponse()
        #expect(response.status == 429)
        #expect(response.errorCode == "too_many_streams_for_client")
        let openAI = try TestHTTPClient(port: portB).request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")],
                                                            body: #"{"model":"generalv3.5","messages":[{"role":"user","content":"x"}]}"#)
        #expect(openAI.status == 429)
        // Once it is over, the lease is back.
        #expect(try long.drainChunkedRemainder().contains("event: done"))
        let later = try TestHTTPClient(port: portB)
        later.postJSON("/chat/stream", #"{"prompt":"third"}"#)
        #expect(try later.readStream().terminal?.type == "done")
    }

    @Test func shutdownWaitsForStreamsFollowedFromAnotherRelay() async throws {
        let redis = try await RedisServer()
        let relays = try relayPair(redisPort: redis.port, onlyA: { $0.stream.reconnectGrace = 0.2 })
        // Relay "a" is shut down by the test itself, mid-stream.
        defer { relays.b.shutdown(); redis.stop() }
        let (a, portA, portB) = (relays.a, relays.portA, relays.portB)
        let stream = try ticket(try TestHTTPClient(port: portA), prompt: "drain [[chunks:60]] [[delay:20]]")
        var first: TestHTTPClient? = try TestHTTPClient(port: portA)
        get(first!, stream.url)
        let before = try first!.readStream(stopAfter: 3)
        first = nil
        let second = try TestHTTPClient(port: portB)
        get(second, stream.url, lastEventID: try #require(before.events.last?.lastEventID))
        _ = try second.readStream(stopAfter: 2)
        // SIGTERM on the owner: no connection of its own is open, but a reader elsewhere follows
        // its stream, so it must finish that stream before leaving Redis.
        a.shutdown()
        let rest = try second.drainChunkedRemainder()
        #expect(rest.contains("event: done"))
        #expect(!rest.contains("relay_instance_lost"))
    }
}
