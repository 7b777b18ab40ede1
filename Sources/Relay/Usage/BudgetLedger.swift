import Synchronization
import SparkCodec

/// What each named key has used in its current period (its budget's, or the day for a key without
/// a budget), in this process (the memory engine): requests counted when admitted, tokens when the
/// conversation's usage record is made. A key over either bound of its budget is refused before
/// any upstream connection. Rebuilt at start from the usage file, so a restart resets nobody's budget.
final class BudgetLedger: Sendable {
    /// One key's use in one period.
    struct Use: Sendable, Equatable {
        var window: BudgetWindow
        var tokens = 0
        var requests = 0
        /// Tokens and requests by model name.
        var byModel: [String: (tokens: Int, requests: Int)] = [:]

        static func == (lhs: Use, rhs: Use) -> Bool {
            lhs.window == rhs.window && lhs.tokens == rhs.tokens && lhs.requests == rhs.requests
                && lhs.byModel.mapValues { [$0.tokens, $0.requests] } == rhs.byModel.mapValues { [$0.tokens, $0.requests] }
        }
    }

    /// Why a request was refused, with what the client is told.
    struct Refusal: Sendable, Equatable, Error {
        var message: String
        var retryAfterSeconds: Int?
        var resetsAt: String?
    }

    let budgets: [String: KeyBudget]
    /// Every named key, with or without a budget.
    let keys: Set<String>
    let offsetSeconds: Int
    private let uses = Mutex<[String: Use]>([:])
    private let clock: @Sendable () -> UnixTime

    /// `keys`: every named key (those in `budgets` included).
    init(budgets: [String: KeyBudget], keys: Set<String> = [], offsetSeconds: Int,
         clock: @escaping @Sendable () -> UnixTime = { UnixTime.now() }) {
        self.budgets = budgets
        self.keys = keys.union(budgets.keys)
        self.offsetSeconds = offsetSeconds
        self.clock = clock
    }

    /// The current period's use of `key` (zero when nothing was used yet).
    func use(of key: String) -> Use? {
        guard keys.contains(key) else { return nil }
        let window = BudgetWindow.containing(clock(), period: period(of: key), offsetSeconds: offsetSeconds)
        return uses.withLock { table in
            guard let use = table[key], use.window == window else { return Use(window: window) }
            return use
        }
    }

    /// Admits one request of `key` (counting it), or refuses it when the key's tokens or requests
    /// are used up. Keys without a budget always pass.
    func admit(key: String?, model: String) -> Result<Void, Refusal> {
        guard let key, keys.contains(key) else { return .success(()) }
        let budget = budgets[key]
        let period = period(of: key)
        let now = clock()
        let window = BudgetWindow.containing(now, period: period, offsetSeconds: offsetSeconds)
        let refusal: Refusal? = uses.withLock { table in
            var use = table[key].flatMap { $0.window == window ? $0 : nil } ?? Use(window: window)
            if let limit = budget?.tokens, use.tokens >= limit {
                return refusalMessage(key, used: use.tokens, limit: limit, what: "tokens", window: window, now: now, period: period)
            }
            if let limit = budget?.requests, use.requests >= limit {
                return refusalMessage(key, used: use.requests, limit: limit, what: "requests", window: window, now: now, period: period)
            }
            use.requests += 1
            use.byModel[model, default: (0, 0)].requests += 1
            table[key] = use
            return nil
        }
        if let refusal { return .failure(refusal) }
        return .success(())
    }

    /// Adds a finished conversation's tokens to `key`'s period.
    func record(key: String?, model: String, tokens: Int, at time: UnixTime? = nil) {
        guard let key, keys.contains(key) else { return }
        let window = BudgetWindow.containing(time ?? clock(), period: period(of: key), offsetSeconds: offsetSeconds)
        uses.withLock { table in
            var use = table[key].flatMap { $0.window == window ? $0 : nil } ?? Use(window: window)
            use.tokens += tokens
            use.byModel[model, default: (0, 0)].tokens += tokens
            table[key] = use
        }
    }

    /// Whether `time` falls in `key`'s current period (keys without a budget: never).
    func isCurrent(key: String, at time: UnixTime) -> Bool {
        guard keys.contains(key) else { return false }
        return BudgetWindow.containing(time, period: period(of: key), offsetSeconds: offsetSeconds)
            == BudgetWindow.containing(clock(), period: period(of: key), offsetSeconds: offsetSeconds)
    }

    /// The key's budget period; a key without a budget is counted per day.
    func period(of key: String) -> KeyBudget.Period {
        budgets[key]?.period ?? .day
    }

    /// Adds a request found in the usage file at start (tokens and the request itself).
    func restore(key: String, model: String, tokens: Int, at time: UnixTime) {
        guard keys.contains(key) else { return }
        let window = BudgetWindow.containing(time, period: period(of: key), offsetSeconds: offsetSeconds)
        guard window == BudgetWindow.containing(clock(), period: period(of: key), offsetSeconds: offsetSeconds) else { return }
        uses.withLock { table in
            var use = table[key].flatMap { $0.window == window ? $0 : nil } ?? Use(window: window)
            use.tokens += tokens
            use.requests += 1
            use.byModel[model, default: (0, 0)].tokens += tokens
            use.byModel[model, default: (0, 0)].requests += 1
            table[key] = use
        }
    }

    private func refusalMessage(_ key: String, used: Int, limit: Int, what: String, window: BudgetWindow, now: UnixTime,
                                period: KeyBudget.Period) -> Refusal {
        let when: String
        switch period {
        case .day: when = " today"
        case .month: when = " this month"
        case .total: when = ""
        }
        guard let end = window.end else {
            return Refusal(message: "key '\(key)' used \(Self.grouped(used)) of \(Self.grouped(limit)) \(what); its budget does not reset",
                           retryAfterSeconds: nil, resetsAt: nil)
        }
        let resetsAt = BudgetWindow.localTimestamp(end, offsetSeconds: offsetSeconds)
        return Refusal(message: "key '\(key)' used \(Self.grouped(used)) of \(Self.grouped(limit)) \(what)\(when); resets at \(resetsAt)",
                       retryAfterSeconds: max(1, Int((end.secondsSince1970 - now.secondsSince1970).rounded(.up))), resetsAt: resetsAt)
    }

    /// `200,431`.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }
}
