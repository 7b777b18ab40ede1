import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import HTTPCodec
import Logging
import RedisClient
import RelayCrypto
import RelayIO
import RESPCodec
import Synchronization

/// `cluster.engine = redis`: tickets, per-stream event logs and relay liveness in Redis, so that
/// several relays behind a load balancer serve any stream from any relay.
///
/// Keys (`S` = stream id, hash tag `{S}` keeps a stream's keys in one Redis Cluster slot):
/// - `sr:{S}:ticket`: the `POST /chat` request (`StreamTicket`), `SET NX PX ticket_ttl`; claimed
///   once with `GETDEL` inside a script that also marks the stream live with its owner.
/// - `sr:{S}:meta`: hash `state` (ticket/live/done), `owner`, `last`, `dropped`.
/// - `sr:{S}:events`: Redis Stream, entry ids `0-{n}` (`n` = the SSE sequence), trimmed by bytes
///   like `stream.replay_buffer_bytes`, expiring `stream.replay_window` after the end.
/// - `sr:{S}:reader`: held (short TTL, refreshed) by a relay that serves a reader of a stream it
///   does not own, so the owner keeps the upstream past `reconnect_grace`.
/// - `sr:instance:{I}`: each relay's heartbeat; when it expires the relay is gone and readers
///   elsewhere end its unfinished streams with `relay_instance_lost`.
///
/// One `RedisClient` per event loop: a stream's commands never leave its loop. The engine is
/// degraded while any loop's connection fails (every heartbeat pings each); the clients reconnect
/// by themselves.
///
/// Simplifications made here, on purpose, against a fuller design (one blocking reader connection,
/// takeover of a reader, cached scripts):
/// - readers on other relays poll (`XRANGE` every `cluster.follow_poll_interval`) on the shared
///   per-loop connections instead of one blocking `XREAD` connection woken with `CLIENT UNBLOCK`:
///   no connection per reader, at most one poll interval of added latency;
/// - the reader-presence key is refreshed while a remote reader is open and simply expires after
///   it (no `SET … GET` takeover): two readers on two relays are both served, no cross-relay `409`;
/// - the ticket holds the request as received (re-validated by the claiming relay), and scripts go
///   out with `EVAL` each time (small, and no `NOSCRIPT` handling after a Redis restart);
/// - only ticket streams are logged to Redis: a direct stream's reader is its own connection.
// @unchecked: `appLimiter`, `clientLimiter` and `budgetLedger` are set during set-up, before `start()` hands the engine to the loops; `heartbeat` and `stopped` are touched only on the first loop; the rest is immutable, atomic or locked
final class RedisStreamEngine: StreamEngine, @unchecked Sendable {
    let instanceID: String
    let cluster: RelayConfiguration.Cluster
    let settings: RelayConfiguration.Stream
    private let loops: [EventLoop]
    private let clients: [RedisClient]
    private let logger: Logger
    let metrics: EngineMetrics?
    private let health = EngineHealthFlag()
    /// Uptime nanoseconds of the last "Redis unavailable" log line (one per minute at most).
    private let lastDownLog = Mutex<UInt64?>(nil)
    private var heartbeat: LoopTimer?
    /// Streams this relay owns whose terminal event is not yet written (see `RedisStreamLog`).
    let liveLogs = Atomic<Int>(0)
    /// Fleet-wide Spark app limits, when configured (renewed by the heartbeat).
    var appLimiter: RedisAppLimiter?
    /// Fleet-wide per-client limits (stream leases renewed by the heartbeat).
    var clientLimiter: RedisClientLimiter?
    /// The named keys' budgets (gauges refreshed by the heartbeat).
    var budgetLedger: RedisBudgetLedger?
    private var stopped = false
    /// Makes the streams this relay owns (claimed tickets) and resumes them.
    let streams: StreamFactory

    /// How long live keys live without a write (refreshed by every append): a stream silent this long
    /// is gone. Finished streams expire after `stream.replay_window`.
    var liveTTLMilliseconds: Int { Int((settings.replayWindow + 3600) * 1000) }
    /// Heartbeat and reader-presence keys live this long (three intervals).
    var presenceTTLMilliseconds: Int { max(1, Int(cluster.heartbeatInterval * 3000)) }

    init(cluster: RelayConfiguration.Cluster, settings: RelayConfiguration.Stream, loops: [EventLoop], streams: StreamFactory,
         logger: Logger, relayMetrics: RelayMetrics?) throws(ConfigError) {
        self.streams = streams
        let url = try cluster.resolvedRedisURL()
        self.instanceID = cluster.instanceID ?? ("relay-" + SecureRandom.hex(byteCount: 6))
        self.cluster = cluster
        self.settings = settings
        self.loops = loops
        self.logger = logger
        let configuration = RedisClientConfiguration(url: url, caFile: cluster.redisCAFile, clientName: "spark-relay",
                                                     connectTimeout: cluster.redisCommandTimeout,
                                                     commandTimeout: cluster.redisCommandTimeout)
        self.clients = loops.map { RedisClient(configuration: configuration, loop: $0) }
        let health = self.health
        self.metrics = relayMetrics.map { EngineMetrics(relayMetrics: $0, isUp: { !health.isDegraded }) }
    }

    var name: String { ClusterEngineKind.redis.rawValue }
    var status: String? { isDegraded ? "degraded" : "ok" }
    var fleetInstanceID: String? { instanceID }
    /// `true` while some loop's connection to Redis failed its last command.
    var isDegraded: Bool { health.isDegraded }

    /// Connects every client and starts the heartbeat.
    func start() {
        for client in clients { client.loop.execute { client.start() } }
        guard let first = loops.first else { return }
        first.execute { [self] in beat() }
    }

    /// Every `cluster.heartbeat_interval`: this relay's liveness key (loop 0), a `PING` on every other
    /// loop's connection (so the health covers them all and each reconnects promptly), the
    /// renewal of fleet-wide app and client leases, and a fresh read of the budgets' counters.
    private func beat() {
        guard !stopped, let loop = loops.first else { return }
        for other in loops.dropFirst() {
            other.execute { [self] in run([RESPCommand("PING")], on: other, op: "heartbeat") { _ in } }
        }
        run([RESPCommand("SET", instanceKey(instanceID), "1", "PX", String(presenceTTLMilliseconds))], on: loop, op: "heartbeat") { [self] _ in
            guard !stopped else { return }
            appLimiter?.renew(on: loop)
            clientLimiter?.renew(on: loop)
            budgetLedger?.refresh(on: loop)
            heartbeat = loop.schedule(after: cluster.heartbeatInterval) { [self] in beat() }
        }
    }

    func waitForOwnedStreams(timeout: Double) {
        guard !loops.contains(where: \.inEventLoop) else { return }
        let deadline = DispatchTime.now() + timeout
        var logged = false
        while liveLogs.load(ordering: .relaxed) > 0 && DispatchTime.now() < deadline {
            if !logged {
                logged = true
                logger.notice("waiting for streams this relay runs for readers elsewhere",
                              metadata: ["streams": "\(liveLogs.load(ordering: .relaxed))", "timeout_s": "\(timeout)"])
            }
            usleep(20_000)
        }
    }

    /// Deletes this relay's heartbeat (readers elsewhere end its unfinished streams at once) and
    /// closes the connections. Waits at most about three seconds; never call it on an event loop.
    func shutdown() {
        guard let first = loops.first, !loops.contains(where: \.inEventLoop) else { return }
        let done = DispatchSemaphore(value: 0)
        first.execute { [self] in
            stopped = true
            heartbeat?.cancel()
            heartbeat = nil
            // Readers elsewhere learn at once that this relay's unfinished streams are over.
            clients[0].send(RESPCommand("DEL", instanceKey(instanceID)), timeout: 1) { _ in done.signal() }
        }
        _ = done.wait(timeout: .now() + 2)
        for client in clients {
            let closed = DispatchSemaphore(value: 0)
            client.loop.execute {
                client.close()
                closed.signal()
            }
            _ = closed.wait(timeout: .now() + 1)
        }
    }

    /// A loop for work that belongs to no stream.
    var anyLoop: EventLoop { loops[0] }

    // MARK: - Keys

    func ticketKey(_ id: String) -> String { "sr:{\(id)}:ticket" }
    func metaKey(_ id: String) -> String { "sr:{\(id)}:meta" }
    func eventsKey(_ id: String) -> String { "sr:{\(id)}:events" }
    func readerKey(_ id: String) -> String { "sr:{\(id)}:reader" }
    func instanceKey(_ instance: String) -> String { "sr:instance:{\(instance)}" }

    // MARK: - Commands

    /// Sends `commands` in one round trip on `loop`'s client, timing it and tracking health.
    func run(_ commands: [RESPCommand], on loop: EventLoop, op: String, _ done: @escaping ([Result<RESPValue, RedisError>]) -> Void) {
        loop.preconditionInEventLoop()
        let client = clients[loop.index % clients.count]
        precondition(client.loop === loop, "the Redis engine must be used on the relay's own event loops")
        let started = DispatchTime.now().uptimeNanoseconds
        client.pipeline(commands, timeout: cluster.redisCommandTimeout) { [self] results in
            metrics?.recordCommand(op: op, nanoseconds: DispatchTime.now().uptimeNanoseconds &- started)
            var failure: RedisError?
            for result in results {
                if case .failure(let error) = result, error.kind != .server { failure = error }
            }
            if let failure {
                metrics?.recordError(op: op)
                markDown(failure, loop: loop)
            } else {
                if results.contains(where: { if case .failure = $0 { true } else { false } }) { metrics?.recordError(op: op) }
                markUp(loop: loop)
            }
            done(results)
        }
    }

    /// The engine is degraded while any loop's connection failed its last command.
    private func markUp(loop: EventLoop) {
        if health.set(loop: loop.index, up: true, loops: loops.count) {
            logger.notice("Redis engine recovered: tickets and shared streams are available again", metadata: ["engine.instance": "\(instanceID)"])
            lastDownLog.withLock { $0 = nil }
        }
    }

    private func markDown(_ error: RedisError, loop: EventLoop) {
        _ = health.set(loop: loop.index, up: false, loops: loops.count)
        let now = DispatchTime.now().uptimeNanoseconds
        let shouldLog = lastDownLog.withLock { last -> Bool in
            if let previous = last, now &- previous < 60_000_000_000 { return false }
            last = now
            return true
        }
        if shouldLog {
            logger.error("REDIS ENGINE DEGRADED: \(error.message). POST /chat answers 503 engine_unavailable; POST /chat/stream and /v1 keep working from local memory; retrying automatically",
                         metadata: ["engine.instance": "\(instanceID)"])
        }
    }

    // MARK: - Tickets

    /// Stores `ticket` under `id`, claimable once by any relay within `stream.ticket_ttl`.
    func storeTicket(id: String, ticket: StreamTicket, on loop: EventLoop, _ done: @escaping (Result<Void, APIError>) -> Void) {
        let ttl = String(max(1, Int(settings.ticketTTL * 1000)))
        var set = RESPCommand("SET", binaryArguments: [Array(ticketKey(id).utf8), ticket.encoded])
        set.append("NX")
        set.append("PX")
        set.append(ttl)
        run([set, RESPCommand("HSET", metaKey(id), "state", "ticket"), RESPCommand("PEXPIRE", metaKey(id), ttl)],
            on: loop, op: "ticket") { results in
            guard case .success(let reply) = results[0], reply != .null,
                  results.allSatisfy({ if case .success = $0 { true } else { false } }) else {
                done(.failure(.engineUnavailable))
                return
            }
            done(.success(()))
        }
    }

    /// Atomically: take the ticket (then this relay owns the stream), or name the owner.
    /// A `v3` ticket's trace parent (its fifth line) is kept in the stream's meta as `tp`, so that
    /// readers that follow the stream from other relays link to the span that made the ticket.
    static let claimScript = """
        local t = redis.call('GETDEL', KEYS[1])
        if t then
          redis.call('HSET', KEYS[2], 'state', 'live', 'owner', ARGV[1])
          local tp = string.match(t, '^v3\\n[^\\n]*\\n[^\\n]*\\n[^\\n]*\\n([^\\n]+)\\n')
          if tp then redis.call('HSET', KEYS[2], 'tp', tp) end
          redis.call('PEXPIRE', KEYS[2], ARGV[2])
          return {'owned', t}
        end
        local meta = redis.call('HMGET', KEYS[2], 'owner', 'tp')
        if meta[1] then return {'remote', meta[1], meta[2] or ''} end
        return {'unknown'}
        """

    /// Claims the ticket `id` for this relay, or says who owns the stream, or that nobody knows it.
    func claim(id: String, on loop: EventLoop, _ done: @escaping (Result<StreamClaim, APIError>) -> Void) {
        run([RESPCommand("EVAL", Self.claimScript, "2", ticketKey(id), metaKey(id), instanceID, String(liveTTLMilliseconds))],
            on: loop, op: "claim") { results in
            guard case .success(.array(let parts)) = results[0], let verdict = parts.first?.text else {
                done(.failure(.engineUnavailable))
                return
            }
            switch verdict {
            case "owned":
                guard parts.count == 2, let bytes = parts[1].bytes, let ticket = StreamTicket(encoded: bytes) else {
                    done(.success(.unknown))
                    return
                }
                done(.success(.owned(ticket)))
            case "remote":
                guard parts.count == 3, let owner = parts[1].text else {
                    done(.success(.unknown))
                    return
                }
                let traceParent = parts[2].text.flatMap { $0.isEmpty ? nil : $0 }
                done(.success(.remote(owner: owner, traceParent: traceParent)))
            default:
                done(.success(.unknown))
            }
        }
    }

    // MARK: - Event logs

    /// The event log writer for a stream this relay owns.
    func makeLogWriter(streamID: String, loop: EventLoop) -> any StreamLogWriter {
        RedisStreamLog(engine: self, streamID: streamID, loop: loop, limit: settings.replayBufferBytes)
    }

    /// Whether a relay currently holds a reader of `streamID` (for the owner's reconnect grace).
    func hasRemoteReader(streamID: String, on loop: EventLoop, _ done: @escaping (Bool) -> Void) {
        run([RESPCommand("EXISTS", readerKey(streamID))], on: loop, op: "reader") { results in
            if case .success(.integer(let count)) = results[0] {
                done(count > 0)
            } else {
                done(false)
            }
        }
    }

    /// Follows a stream owned by another relay: replays after `after`, then live, into `subscriber`.
    func follow(streamID: String, owner: String, after: Int, subscriber: StreamSubscriber, headers: HTTPHeaders) {
        let reader = RemoteStreamReader(engine: self, streamID: streamID, owner: owner, after: after, subscriber: subscriber)
        reader.start(headers: headers)
    }
}

/// Whether the engine is degraded (some loop's connection failed its last command), shared with
/// the metrics gauge.
final class EngineHealthFlag: Sendable {
    private let down = Mutex<Set<Int>>([])
    private let degraded = Atomic<Bool>(false)
    var isDegraded: Bool { degraded.load(ordering: .relaxed) }

    /// Records one loop's state; `true` when this recovered the whole engine.
    func set(loop: Int, up: Bool, loops: Int) -> Bool {
        down.withLock { down in
            if up { down.remove(loop) } else { down.insert(loop) }
            let wasDegraded = degraded.load(ordering: .relaxed)
            degraded.store(!down.isEmpty, ordering: .relaxed)
            return wasDegraded && down.isEmpty
        }
    }
}
