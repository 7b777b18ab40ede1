/// Lets a repeating condition be logged at most once per `interval`, with the count of occurrences
/// the line stands for (this one and those held back since the last line). A value: the caller
/// provides the clock, so it is deterministic in tests.
struct LogThrottle: Sendable, Equatable {
    /// Shortest time between two lines, in seconds.
    let interval: Double
    private var lastLine: Double?
    private var heldBack = 0

    init(interval: Double) {
        self.interval = interval
    }

    /// Records one occurrence at `now`: the count to log with it, or `nil` to stay quiet.
    mutating func record(now: Double) -> Int? {
        if let lastLine, now - lastLine < interval {
            heldBack += 1
            return nil
        }
        lastLine = now
        defer { heldBack = 0 }
        return heldBack + 1
    }
}
