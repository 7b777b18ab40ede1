import RESPCodec
import RelayIO

/// Per-client request rate for the whole fleet: one token bucket per client in Redis
/// (`sr:client:{C}:rate`, `burst` tokens refilled at `per_minute / 60` a second, Redis's own
/// clock), the same semantics as the per-process `TokenBucket`. Redis unreachable: allowed (the
/// process's own bucket already decided).
final class RedisClientLimiter: FleetClientLimiter, @unchecked Sendable {
    private let engine: RedisStreamEngine

    init(engine: RedisStreamEngine) {
        self.engine = engine
    }

    static func rateKey(_ client: String) -> String { "sr:client:{\(client)}:rate" }

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
