import RelayIO
import SparkCodec
import Synchronization

/// The budget ledger of one process (the memory engine): every named key's use in its current
/// period, under a lock. Rebuilt at start from the usage file (`UsageFileTail`), so a restart
/// resets nobody's budget.
final class MemoryBudgetLedger: BudgetLedger {
    let policy: BudgetPolicy
    private let uses = Mutex<[String: BudgetUse]>([:])

    init(policy: BudgetPolicy) {
        self.policy = policy
    }

    func admit(key: String?, model: String, on loop: EventLoop, _ done: @escaping @Sendable (BudgetAdmission) -> Void) {
        done(admit(key: key, model: model))
    }

    /// Admits one request of `key` (counting it), or refuses it when the key's tokens or requests
    /// are used up.
    func admit(key: String?, model: String) -> BudgetAdmission {
        guard let key, policy.keys.contains(key) else { return .admitted }
        let now = policy.clock()
        let window = policy.window(of: key, at: now)
        let refusal: BudgetRefusal? = uses.withLock { table in
            var use = table[key].flatMap { $0.window == window ? $0 : nil } ?? BudgetUse(window: window)
            if let refusal = policy.refusal(of: key, tokens: use.tokens, requests: use.requests, window: window, now: now) {
                return refusal
            }
            use.requests += 1
            use.byModel[model, default: .init()].requests += 1
            table[key] = use
            return nil
        }
        return refusal.map(BudgetAdmission.exhausted) ?? .admitted
    }

    func record(key: String?, model: String, tokens: Int, on loop: EventLoop) {
        record(key: key, model: model, tokens: tokens)
    }

    /// Adds a finished conversation's tokens to `key`'s period (the one containing `time`, or now).
    func record(key: String?, model: String, tokens: Int, at time: UnixTime? = nil) {
        guard let key, policy.keys.contains(key) else { return }
        let window = policy.window(of: key, at: time)
        uses.withLock { table in
            var use = table[key].flatMap { $0.window == window ? $0 : nil } ?? BudgetUse(window: window)
            use.tokens += tokens
            use.byModel[model, default: .init()].tokens += tokens
            table[key] = use
        }
    }

    func report(_ keys: [String], on loop: EventLoop, _ done: @escaping @Sendable ([BudgetUse]?) -> Void) {
        done(keys.compactMap(use(of:)))
    }

    func lastKnownUses() -> [String: BudgetUse] {
        var all: [String: BudgetUse] = [:]
        for key in policy.keys { all[key] = use(of: key) }
        return all
    }

    /// The current period's use of `key` (zero when nothing was used yet; `nil` for a key that is
    /// not named).
    func use(of key: String) -> BudgetUse? {
        guard policy.keys.contains(key) else { return nil }
        let window = policy.window(of: key)
        return uses.withLock { table in
            guard let use = table[key], use.window == window else { return BudgetUse(window: window) }
            return use
        }
    }

    /// Whether `time` falls in `key`'s current period (keys that are not named: never).
    func isCurrent(key: String, at time: UnixTime) -> Bool {
        guard policy.keys.contains(key) else { return false }
        return policy.window(of: key, at: time) == policy.window(of: key)
    }

    /// Adds a request found in the usage file at start (tokens and the request itself), when it
    /// falls in the key's current period.
    func restore(key: String, model: String, tokens: Int, at time: UnixTime) {
        guard isCurrent(key: key, at: time) else { return }
        let window = policy.window(of: key, at: time)
        uses.withLock { table in
            var use = table[key].flatMap { $0.window == window ? $0 : nil } ?? BudgetUse(window: window)
            use.tokens += tokens
            use.requests += 1
            use.byModel[model, default: .init()].tokens += tokens
            use.byModel[model, default: .init()].requests += 1
            table[key] = use
        }
    }
}
