import DequeModule
import Synchronization

/// Bytes held by all replay buffers together, against `stream.replay_total_bytes`.
public final class ReplayBudget: Sendable {
    public let limit: Int
    private let used = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Reserves `bytes`; `false` (nothing reserved) when that would pass the limit.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            guard current + bytes <= limit else { return false }
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    func release(_ bytes: Int) {
        used.subtract(bytes, ordering: .relaxed)
    }

    /// Bytes currently held.
    public var usedBytes: Int { used.load(ordering: .relaxed) }
}

/// The events of one stream kept for `Last-Event-ID` replay: bounded in bytes per stream and, through
/// the shared `ReplayBudget`, for all streams. When full, the oldest events are dropped (a resume
/// that asks for them gets `replay_unavailable`).
struct ReplayBuffer {
    private var events = Deque<StreamEvent>()
    private(set) var byteCount = 0
    let limit: Int
    private let budget: ReplayBudget
    /// Highest sequence number dropped so far (0 = none).
    private(set) var droppedThrough = 0

    init(limit: Int, budget: ReplayBudget) {
        self.limit = limit
        self.budget = budget
    }

    /// Appends `event`, dropping old events as needed. `evictionAllowed == false` (nobody attached who
    /// already saw them) makes it refuse instead: returns `false` and keeps the buffer unchanged.
    mutating func append(_ event: StreamEvent, evictionAllowed: Bool) -> Bool {
        let size = event.byteCount
        while byteCount + size > limit || !budget.reserve(size) {
            guard evictionAllowed, let oldest = events.first, !(oldest.isTerminal) else { return false }
            events.removeFirst()
            byteCount -= oldest.byteCount
            budget.release(oldest.byteCount)
            droppedThrough = oldest.sequence
        }
        events.append(event)
        byteCount += size
        return true
    }

    /// Events with a sequence number greater than `sequence`, or `nil` when some of them were dropped.
    func events(after sequence: Int) -> [StreamEvent]? {
        guard sequence >= droppedThrough else { return nil }
        return events.filter { $0.sequence > sequence }
    }

    /// Releases everything (the stream is gone).
    mutating func removeAll() {
        budget.release(byteCount)
        byteCount = 0
        events.removeAll()
    }

    var count: Int { events.count }
}
