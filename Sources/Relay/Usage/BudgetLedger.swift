import RelayIO

/// Counts each named key's requests and tokens per budget period and refuses a key past its budget
/// before any upstream connection. Requests are counted when admitted, tokens when the
/// conversation's usage record is made. The stream engine makes the sibling it needs:
/// `MemoryBudgetLedger` (this process; rebuilt from the usage file at start) or `RedisBudgetLedger`
/// (the fleet's counters in Redis, so every relay enforces one budget).
protocol BudgetLedger: AnyObject, Sendable {
    /// The keys, periods and limits the ledger applies.
    var policy: BudgetPolicy { get }
    /// Admits one request of `key` for `model` (counting it) or refuses it; keys without a budget
    /// always pass. `done` runs on `loop` (at once when the answer needs no I/O).
    func admit(key: String?, model: String, on loop: EventLoop, _ done: @escaping @Sendable (BudgetAdmission) -> Void)
    /// Adds a finished conversation's tokens to `key`'s current period (called on `loop`; never waits).
    func record(key: String?, model: String, tokens: Int, on loop: EventLoop)
    /// The current period's use of each of `keys`, in order (`nil` when the store cannot be read);
    /// `done` runs on `loop`.
    func report(_ keys: [String], on loop: EventLoop, _ done: @escaping @Sendable ([BudgetUse]?) -> Void)
    /// What this relay last knew of each key's current period, without I/O (the gauges).
    func lastKnownUses() -> [String: BudgetUse]
}
