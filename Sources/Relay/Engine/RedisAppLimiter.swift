import RESPCodec
import RelayIO
import Synchronization

/// `upstream.app_max_concurrency` and `upstream.app_max_qps` for the whole fleet, in Redis:
/// - concurrency: a sorted set of leases per app (`sr:app:{A}:leases`, member `{instance}:{n}`,
///   score = expiry in Redis time). Each relay renews its leases on every heartbeat; a relay that
///   dies stops renewing, and its leases are purged by the next acquire once `cluster.lease_ttl`
///   passed.
/// - QPS: a token bucket per app (`sr:app:{A}:qps`) with the same semantics as `TokenBucket`.
/// Both in one script with Redis's own clock (`TIME`), so relays' clocks do not matter.
final class RedisAppLimiter: FleetAppLimiter, Sendable {
    private let engine: RedisStreamEngine
    private let maxConcurrency: Int
    private let maxQPS: Int
    private let counter = Atomic<Int>(0)
    /// Leases this relay holds, by app id (renewed by the heartbeat).
    private let held = Mutex<[String: Set<String>]>([:])

    init(engine: RedisStreamEngine, maxConcurrency: Int, maxQPS: Int) {
        self.engine = engine
        self.maxConcurrency = maxConcurrency
        self.maxQPS = maxQPS
    }

    static func leasesKey(_ app: String) -> String { "sr:app:{\(app)}:leases" }
    static func qpsKey(_ app: String) -> String { "sr:app:{\(app)}:qps" }

    /// KEYS: leases, qps. ARGV: member, lease TTL ms, max concurrency, max QPS.
    /// Returns 1 (granted), 0 (at the concurrency limit) or -1 (out of QPS tokens).
    static let acquireScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local ttl = tonumber(ARGV[2])
        local maxc = tonumber(ARGV[3])
        local maxq = tonumber(ARGV[4])
        if maxc > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
          if redis.call('ZCARD', KEYS[1]) >= maxc then return 0 end
        end
        if maxq > 0 then
          local b = redis.call('HMGET', KEYS[2], 'tokens', 'at')
          local tokens = tonumber(b[1]) or maxq
          local at = tonumber(b[2]) or now
          if now > at then tokens = math.min(maxq, tokens + (now - at) * maxq / 1000) end
          if tokens < 1 then
            redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
            redis.call('PEXPIRE', KEYS[2], 10000)
            return -1
          end
          redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'at', tostring(math.max(now, at)))
          redis.call('PEXPIRE', KEYS[2], 10000)
        end
        if maxc > 0 then
          redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
          redis.call('PEXPIRE', KEYS[1], ttl * 2)
        end
        return 1
        """

    /// KEYS: leases. ARGV: lease TTL ms, members… Pushes each member's expiry forward.
    static let renewScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local ttl = tonumber(ARGV[1])
        for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i]) end
        redis.call('PEXPIRE', KEYS[1], ttl * 2)
        return 1
        """

    private var ttlMilliseconds: Int { max(1, Int(engine.cluster.leaseTTL * 1000)) }

    func acquire(appID: String, on loop: EventLoop, _ done: @escaping @Sendable (FleetDecision) -> Void) {
        let member = "\(engine.instanceID):\(counter.add(1, ordering: .relaxed).newValue)"
        let command = RESPCommand("EVAL", Self.acquireScript, "2", Self.leasesKey(appID), Self.qpsKey(appID), member,
                                  String(ttlMilliseconds), String(maxConcurrency), String(maxQPS))
        let run: @Sendable () -> Void = { [self] in
            engine.run([command], on: loop, op: "app_lease") { [self] results in
                switch results[0] {
                case .success(.integer(1)):
                    if maxConcurrency > 0 { held.withLock { _ = $0[appID, default: []].insert(member) } }
                    done(.granted(member: member))
                case .success(.integer):
                    done(.busy)
                default:
                    done(.unavailable)
                }
            }
        }
        if loop.inEventLoop { run() } else { loop.execute(run) }
    }

    func release(appID: String, member: String) {
        let removed = held.withLock { $0[appID]?.remove(member) != nil }
        guard removed else { return }
        let loop = engine.anyLoop
        loop.execute { [self] in
            engine.run([RESPCommand("ZREM", Self.leasesKey(appID), member)], on: loop, op: "app_release") { _ in }
        }
    }

    /// Renews every lease this relay holds (called by the engine's heartbeat, on `loop`).
    func renew(on loop: EventLoop) {
        let table = held.withLock { $0 }
        var commands: [RESPCommand] = []
        for (app, members) in table where !members.isEmpty {
            commands.append(RESPCommand("EVAL", arguments: [Self.renewScript, "1", Self.leasesKey(app), String(ttlMilliseconds)] + members.sorted()))
        }
        guard !commands.isEmpty else { return }
        engine.run(commands, on: loop, op: "app_renew") { _ in }
    }
}
