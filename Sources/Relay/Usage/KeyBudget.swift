/// A named key's budget (`auth.keys[].budget`): at most `tokens` tokens and `requests` requests per
/// period. Either bound may be absent (unbounded).
public struct KeyBudget: Sendable, Equatable {
    /// How long a budget lasts before it starts again.
    public enum Period: String, Sendable, Equatable, CaseIterable {
        /// From midnight to midnight in `auth.budget_utc_offset`.
        case day
        /// From the 1st of a month to the next, at midnight in `auth.budget_utc_offset`.
        case month
        /// Never resets.
        case total
    }

    public var tokens: Int?
    public var requests: Int?
    public var period: Period

    public init(tokens: Int? = nil, requests: Int? = nil, period: Period) {
        self.tokens = tokens
        self.requests = requests
        self.period = period
    }
}

/// What budgets do while the shared engine that counts them is unreachable
/// (`auth.budget_when_engine_down`).
public enum BudgetFailureMode: String, Sendable, Equatable, CaseIterable {
    /// Keys with a budget are refused until the engine is back: no one can overspend.
    case closed
    /// Keys with a budget are served and their use is not counted: no one is refused.
    case open
}
