import RESPCodec
import RelayIO
import SparkCodec
import Synchronization

/// The budget ledger of a fleet (the Redis engine): one hash per key and period,
/// `sr:budget:{K}:{label}` (`label` = `2026-12-07`, `2026-12` or `total`), with fields `r` and `t`
/// (requests, tokens) and `r:{model}`, `t:{model}`, expiring an hour after its period ends.
///
/// - A key with a budget is admitted by one script (one round trip, atomic on Redis): refused when
///   its tokens or requests are used up, else its requests counted. No two relays can both take the
///   last request; tokens are added when conversations end, so the overshoot is bounded by the
///   key's concurrent streams × their `max_tokens`, as with one relay.
/// - A named key without a budget is counted without waiting (nothing to decide).
/// - Tokens are added when a conversation ends, without waiting: nothing per chunk.
/// - Redis unreachable: a key with a budget is refused with `503 budget_unavailable`
///   (`auth.budget_when_engine_down` = `closed`, the default) or admitted uncounted (`open`).
///
/// Periods are computed from each relay's own clock (the label names the window), so relays
/// whose clocks disagree by a few seconds disagree about the boundary by as much.
final class RedisBudgetLedger: BudgetLedger {
    let policy: BudgetPolicy
    private let engine: RedisStreamEngine
    private let failOpen: Bool
    /// The last counts Redis reported for each key (the gauges), refreshed by every admission,
    /// every record and the engine's heartbeat.
    private let known = Mutex<[String: BudgetUse]>([:])

    init(policy: BudgetPolicy, engine: RedisStreamEngine, failOpen: Bool) {
        self.policy = policy
        self.engine = engine
        self.failOpen = failOpen
    }

    static func key(_ name: String, _ window: BudgetWindow) -> String { "sr:budget:{\(name)}:\(window.label)" }

    /// Counters outlive their window by an hour (a relay whose clock is a little behind still
    /// finds them); `total` never expires.
    static func expiry(_ window: BudgetWindow) -> [String] {
        guard let end = window.end else { return [] }
        return [String(Int64((end.secondsSince1970 + 3600) * 1000))]
    }

    /// KEYS: the key's hash. ARGV: token limit and request limit (`-1` = none), model, expiry in
    /// Unix milliseconds (absent: never). Returns {0 = admitted | 1 = tokens used up | 2 = requests
    /// used up, tokens, requests}.
    static let admitScript = """
        local b = redis.call('HMGET', KEYS[1], 't', 'r')
        local t = tonumber(b[1]) or 0
        local r = tonumber(b[2]) or 0
        local tl = tonumber(ARGV[1])
        local rl = tonumber(ARGV[2])
        if tl >= 0 and t >= tl then return {1, t, r} end
        if rl >= 0 and r >= rl then return {2, t, r} end
        r = redis.call('HINCRBY', KEYS[1], 'r', 1)
        redis.call('HINCRBY', KEYS[1], 'r:' .. ARGV[3], 1)
        if ARGV[4] then redis.call('PEXPIREAT', KEYS[1], ARGV[4]) end
        return {0, t, r}
        """

    func admit(key: String?, model: String, on loop: EventLoop, _ done: @escaping @Sendable (BudgetAdmission) -> Void) {
        guard let key, policy.keys.contains(key) else {
            done(.admitted)
            return
        }
        let now = policy.clock()
        let window = policy.window(of: key, at: now)
        let hash = Self.key(key, window)
        guard let budget = policy.budgets[key] else {
            engine.run([RESPCommand("HINCRBY", hash, "r", "1"), RESPCommand("HINCRBY", hash, "r:" + model, "1")]
                       + expire(hash, window), on: loop, op: "budget_count") { [self] results in
                if case .success(.integer(let requests)) = results[0] {
                    remember(key, window) { $0.requests = Int(requests) }
                }
            }
            done(.admitted)
            return
        }
        let command = RESPCommand("EVAL", arguments: [Self.admitScript, "1", hash, String(budget.tokens ?? -1),
                                                      String(budget.requests ?? -1), model] + Self.expiry(window))
        engine.run([command], on: loop, op: "budget_admit") { [self] results in
            guard case .success(.array(let reply)) = results[0], reply.count == 3,
                  case .integer(let verdict) = reply[0], case .integer(let tokens) = reply[1], case .integer(let requests) = reply[2] else {
                done(failOpen ? .admitted : .unavailable)
                return
            }
            remember(key, window) { use in
                use.tokens = Int(tokens)
                use.requests = Int(requests)
            }
            guard verdict != 0 else {
                done(.admitted)
                return
            }
            let refusal = policy.refusal(of: key, tokens: Int(tokens), requests: Int(requests), window: window, now: now)
            done(refusal.map(BudgetAdmission.exhausted) ?? .admitted)
        }
    }

    func record(key: String?, model: String, tokens: Int, on loop: EventLoop) {
        guard let key, policy.keys.contains(key), tokens > 0 else { return }
        let window = policy.window(of: key)
        let hash = Self.key(key, window)
        engine.run([RESPCommand("HINCRBY", hash, "t", String(tokens)), RESPCommand("HINCRBY", hash, "t:" + model, String(tokens))]
                   + expire(hash, window), on: loop, op: "budget_record") { [self] results in
            if case .success(.integer(let total)) = results[0] {
                remember(key, window) { $0.tokens = Int(total) }
            }
        }
    }

    func report(_ keys: [String], on loop: EventLoop, _ done: @escaping @Sendable ([BudgetUse]?) -> Void) {
        let named = keys.filter { policy.keys.contains($0) }
        guard !named.isEmpty else {
            done([])
            return
        }
        let windows = named.map { policy.window(of: $0) }
        let commands = zip(named, windows).map { RESPCommand("HGETALL", Self.key($0, $1)) }
        engine.run(commands, on: loop, op: "budget_report") { [self] results in
            var uses: [BudgetUse] = []
            for (index, result) in results.enumerated() {
                guard case .success(let value) = result, let use = Self.use(from: value, window: windows[index]) else {
                    done(nil)
                    return
                }
                uses.append(use)
                known.withLock { $0[named[index]] = use }
            }
            done(uses)
        }
    }

    func lastKnownUses() -> [String: BudgetUse] {
        let table = known.withLock { $0 }
        var all: [String: BudgetUse] = [:]
        for key in policy.keys {
            let window = policy.window(of: key)
            all[key] = table[key].flatMap { $0.window == window ? $0 : nil } ?? BudgetUse(window: window)
        }
        return all
    }

    /// Reads every key's counters again (the engine's heartbeat), so the gauges follow what the
    /// other relays spent.
    func refresh(on loop: EventLoop) {
        report(policy.keys.sorted(), on: loop) { _ in }
    }

    /// A key's use from its hash (`HGETALL`, as a RESP2 array or a RESP3 map).
    static func use(from value: RESPValue, window: BudgetWindow) -> BudgetUse? {
        var use = BudgetUse(window: window)
        guard value != .null else { return use }
        guard let fields = value.fields else { return nil }
        for (field, bytes) in fields {
            guard let number = Int(String(decoding: bytes, as: UTF8.self)) else { return nil }
            switch field {
            case "t": use.tokens = number
            case "r": use.requests = number
            default:
                if field.hasPrefix("t:") { use.byModel[String(field.dropFirst(2)), default: .init()].tokens = number }
                if field.hasPrefix("r:") { use.byModel[String(field.dropFirst(2)), default: .init()].requests = number }
            }
        }
        return use
    }

    private func expire(_ hash: String, _ window: BudgetWindow) -> [RESPCommand] {
        Self.expiry(window).map { RESPCommand("PEXPIREAT", hash, $0) }
    }

    private func remember(_ key: String, _ window: BudgetWindow, _ change: (inout BudgetUse) -> Void) {
        known.withLock { table in
            var use = table[key].flatMap { $0.window == window ? $0 : nil } ?? BudgetUse(window: window)
            change(&use)
            table[key] = use
        }
    }
}
