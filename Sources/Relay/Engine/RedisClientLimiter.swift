import RESPCodec
import RelayIO
import Synchronization

/// Per-client limits for the whole fleet, in Redis (Redis's own clock):
/// - request rate: one token bucket per client (`sr:client:{C}:rate`, `burst` tokens refilled at
///   `per_minute / 60` a second), the same semantics as the per-process `TokenBucket`;
/// - concurrent streams: leases in a sorted set per client (`sr:client:{C}:streams`), renewed on
///   every heartbeat and lapsing `cluster.lease_ttl` after a relay died, like the app leases.
/// Redis unreachable: allowed (the process's own limits already decided).
final class RedisClientLimiter: FleetClientLimiter, Sendable {
    private let engine: RedisStreamEngine
    private let counter = Atomic<Int>(0)
    /// Stream leases this relay holds, by client (renewed by the heartbeat).
    private let held = Mutex<[String: Set<String>]>([:])

    init(engine: RedisStreamEngine) {
        self.engine = engine
    }

    static func rateKey(_ client: String) -> String { "sr:client:{\(client)}:rate" }
    static func streamsKey(_ client: String) -> String { "sr:client:{\(client)}:streams" }

    private var ttlMilliseconds: Int { max(1, Int(engine.cluster.leaseTTL * 1000)) }

    func acquireStream(client: String, max: Int, on loop: EventLoop, _ done: @escaping @Sendable (FleetDecision) -> Void) {
        let member = "\(engine.instanceID):\(counter.add(1, ordering: .relaxed).newValue)"
        let key = Self.streamsKey(client)
        // The app-lease script with no QPS bound (its second key is then never touched).
        let command = RESPCommand("EVAL", RedisAppLimiter.acquireScript, "2", key, key, member, String(ttlMilliseconds), String(max), "0")
        engine.run([command], on: loop, op: "client_stream") { [self] results in
            switch results[0] {
            case .success(.integer(1)):
                held.withLock { _ = $0[client, default: []].insert(member) }
                done(.granted(member: member))
            case .success(.integer):
                done(.busy)
            default:
                done(.unavailable)
            }
        }
    }

    func releaseStream(client: String, member: String) {
        let removed = held.withLock { table -> Bool in
            guard table[client]?.remove(member) != nil else { return false }
            if table[client]?.isEmpty == true { table[client] = nil }
            return true
        }
        guard removed else { return }
        let loop = engine.anyLoop
        loop.execute { [self] in
            engine.run([RESPCommand("ZREM", Self.streamsKey(client), member)], on: loop, op: "client_stream_release") { _ in }
        }
    }

    /// Renews every stream lease this relay holds (the engine's heartbeat, on `loop`).
    func renew(on loop: EventLoop) {
        let table = held.withLock { $0 }
        let commands = table.filter { !$0.value.isEmpty }.map { client, members in
            RESPCommand("EVAL", arguments: [RedisAppLimiter.renewScript, "1", Self.streamsKey(client), String(ttlMilliseconds)] + members.sorted())
        }
        guard !commands.isEmpty else { return }
        engine.run(commands, on: loop, op: "client_stream_renew") { _ in }
    }

    /// KEYS: bucket. ARGV: capacity, tokens per millisecond. Returns 0 (allowed) or the wait in ms.
    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(b[1]) or capacity
        local at = tonumber(b[2]) or now
        if now > at then
          tokens = math.min(capacity, tokens + (now - at) * rate)
          at = now
        end
        local ttl = math.ceil(capacity / rate) + 1000
        local wait = 0
        if tokens < 1 then
          wait = math.ceil((1 - tokens) / rate)
        else
          tokens = tokens - 1
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
        redis.call('PEXPIRE', KEYS[1], ttl)
        return wait
        """

    func admit(client: String, perMinute: Int, burst: Int, on loop: EventLoop, _ done: @escaping @Sendable (FleetRateDecision) -> Void) {
        let rate = Double(perMinute) / 60_000
        let command = RESPCommand("EVAL", Self.script, "1", Self.rateKey(client), String(max(1, burst)), String(rate))
        engine.run([command], on: loop, op: "client_rate") { results in
            if case .success(.integer(let wait)) = results[0], wait > 0 {
                done(.limited(retryAfter: Double(wait) / 1000))
            } else {
                done(.allowed)
            }
        }
    }
}
