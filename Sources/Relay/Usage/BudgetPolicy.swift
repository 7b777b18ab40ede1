import SparkCodec

/// The rules every budget ledger applies, whatever keeps the counts: which keys are counted, the
/// period of each, the window a moment falls in, and the refusal a key past its budget gets.
struct BudgetPolicy: Sendable {
    let budgets: [String: KeyBudget]
    /// Every named key, with or without a budget.
    let keys: Set<String>
    /// Where days and months start, in seconds east of UTC (`auth.budget_utc_offset`).
    let offsetSeconds: Int
    let clock: @Sendable () -> UnixTime

    /// `keys`: every named key (those in `budgets` included).
    init(budgets: [String: KeyBudget], keys: Set<String> = [], offsetSeconds: Int,
         clock: @escaping @Sendable () -> UnixTime = { UnixTime.now() }) {
        self.budgets = budgets
        self.keys = keys.union(budgets.keys)
        self.offsetSeconds = offsetSeconds
        self.clock = clock
    }

    /// The key's budget period; a key without a budget is counted per day.
    func period(of key: String) -> KeyBudget.Period {
        budgets[key]?.period ?? .day
    }

    /// The window of `key`'s period containing `time` (now when `nil`).
    func window(of key: String, at time: UnixTime? = nil) -> BudgetWindow {
        BudgetWindow.containing(time ?? clock(), period: period(of: key), offsetSeconds: offsetSeconds)
    }

    /// Why `key`, having used `tokens` and `requests` in `window`, may not make one more request
    /// (`nil`: it may).
    func refusal(of key: String, tokens: Int, requests: Int, window: BudgetWindow, now: UnixTime) -> BudgetRefusal? {
        guard let budget = budgets[key] else { return nil }
        if let limit = budget.tokens, tokens >= limit {
            return refusal(key, used: tokens, limit: limit, what: "tokens", window: window, now: now, period: budget.period)
        }
        if let limit = budget.requests, requests >= limit {
            return refusal(key, used: requests, limit: limit, what: "requests", window: window, now: now, period: budget.period)
        }
        return nil
    }

    private func refusal(_ key: String, used: Int, limit: Int, what: String, window: BudgetWindow, now: UnixTime,
                         period: KeyBudget.Period) -> BudgetRefusal {
        let when: String
        switch period {
        case .day: when = " today"
        case .month: when = " this month"
        case .total: when = ""
        }
        guard let end = window.end else {
            return BudgetRefusal(message: "key '\(key)' used \(Self.grouped(used)) of \(Self.grouped(limit)) \(what); its budget does not reset",
                                 retryAfterSeconds: nil, resetsAt: nil)
        }
        let resetsAt = BudgetWindow.localTimestamp(end, offsetSeconds: offsetSeconds)
        return BudgetRefusal(message: "key '\(key)' used \(Self.grouped(used)) of \(Self.grouped(limit)) \(what)\(when); resets at \(resetsAt)",
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

/// One key's use in one budget period: tokens, requests, and both by model name.
struct BudgetUse: Sendable, Equatable {
    var window: BudgetWindow
    var tokens = 0
    var requests = 0
    var byModel: [String: ModelUse] = [:]

    /// Tokens and requests of one model.
    struct ModelUse: Sendable, Equatable {
        var tokens = 0
        var requests = 0
    }
}

/// A request refused because its key used up its budget, with what the client is told.
struct BudgetRefusal: Sendable, Equatable, Error {
    var message: String
    var retryAfterSeconds: Int?
    var resetsAt: String?
}

/// What a ledger says about one more request of a key.
enum BudgetAdmission: Sendable, Equatable {
    /// Within the budget (counted), or a key without one.
    case admitted
    /// Past the budget: refused before any upstream connection.
    case exhausted(BudgetRefusal)
    /// The shared store that holds the budget cannot be asked, and budgets fail closed.
    case unavailable
}
