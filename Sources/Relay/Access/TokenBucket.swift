/// A token bucket: `capacity` tokens, refilled at `ratePerSecond`. Value type; the caller provides
/// the clock, so it is deterministic in tests.
struct TokenBucket: Sendable, Equatable {
    let capacity: Double
    let ratePerSecond: Double
    private(set) var tokens: Double
    private(set) var updatedAt: Double

    init(capacity: Double, ratePerSecond: Double, now: Double) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Takes one token if available; otherwise returns the seconds until one is.
    mutating func take(now: Double) -> Double? {
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return ratePerSecond > 0 ? (1 - tokens) / ratePerSecond : .infinity
    }

    private mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(capacity, tokens + (now - updatedAt) * ratePerSecond)
        updatedAt = now
    }
}
