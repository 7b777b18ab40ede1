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
/// that asks for them gets `replay_unavailable`). An event that cannot be held at all (larger than
/// the per-stream bound, or than what the shared budget has left) is skipped while a reader is
/// attached: that reader still gets it live, only a resume from before it is impossible.
struct ReplayBuffer {
    /// What `append` did with an event.
    enum Outcome: Equatable {
        /// Held for replay.
        case stored
        /// Not held (too large for what the buffers can hold), but a reader is attached: deliver it
        /// live; a resume from before it gets `replay_unavailable`.
        case skipped
        /// Not held, and nobody attached has it: the stream cannot continue without losing it.
        case refused(Refusal)
    }

    /// Why an event could not be held for a stream without a reader.
    enum Refusal: Equatable {
        /// The stream's own bound (`stream.replay_buffer_bytes`) is full or smaller than the event.
        case streamLimit(eventBytes: Int, limit: Int)
        /// The bound for all streams together (`stream.replay_total_bytes`) is used up.
        case totalBudget(eventBytes: Int, limit: Int)

        /// A message for the client that says what happened.
        var message: String {
            switch self {
            case .streamLimit(let eventBytes, let limit) where eventBytes > limit:
                return "an event of \(eventBytes) bytes is larger than the replay buffer (stream.replay_buffer_bytes = \(limit)) and no reader was attached to receive it"
            case .streamLimit(_, let limit):
                return "the replay buffer (stream.replay_buffer_bytes = \(limit)) filled up while no reader was attached"
            case .totalBudget(_, let limit):
                return "the replay buffers of all streams together (stream.replay_total_bytes = \(limit)) are full and no reader was attached"
            }
        }
    }

    private var events = Deque<StreamEvent>()
    private(set) var byteCount = 0
    let limit: Int
    private let budget: ReplayBudget
    /// Highest sequence number dropped so far (0 = none).
    private(set) var droppedThrough = 0
    /// The last event that was skipped because it could not be held at all, with its size.
    private(set) var lastSkipped: (sequence: Int, bytes: Int)?

    init(limit: Int, budget: ReplayBudget) {
        self.limit = limit
        self.budget = budget
    }

    /// Appends `event`, dropping old events as needed. `readerAttached == false` (nobody attached
    /// who already saw the old events) makes it refuse instead of dropping anything: the buffer is
    /// left unchanged.
    mutating func append(_ event: StreamEvent, readerAttached: Bool) -> Outcome {
        let size = event.byteCount
        if size > limit {
            guard readerAttached else { return .refused(.streamLimit(eventBytes: size, limit: limit)) }
            skip(event, size: size)
            return .skipped
        }
        while byteCount + size > limit || !budget.reserve(size) {
            let overStreamLimit = byteCount + size > limit
            guard readerAttached else {
                return .refused(overStreamLimit ? .streamLimit(eventBytes: size, limit: limit)
                                                : .totalBudget(eventBytes: size, limit: budget.limit))
            }
            guard let oldest = events.first, !oldest.isTerminal else {
                // Nothing of ours left to drop and the shared budget still has no room.
                skip(event, size: size)
                return .skipped
            }
            events.removeFirst()
            byteCount -= oldest.byteCount
            budget.release(oldest.byteCount)
            droppedThrough = oldest.sequence
        }
        events.append(event)
        byteCount += size
        return .stored
    }

    /// Leaves `event` out. Every resume from before it would need it, so the older events are
    /// useless from now on and are released too.
    private mutating func skip(_ event: StreamEvent, size: Int) {
        removeAll()
        droppedThrough = event.sequence
        lastSkipped = (event.sequence, size)
    }

    /// Events with a sequence number greater than `sequence`, or `nil` when some of them were dropped.
    func events(after sequence: Int) -> [StreamEvent]? {
        guard sequence >= droppedThrough else { return nil }
        return events.filter { $0.sequence > sequence }
    }

    /// Why `events(after: sequence)` is `nil`, for the `replay_unavailable` message.
    func unavailableReason(after sequence: Int) -> String {
        if let skipped = lastSkipped, skipped.sequence > sequence {
            return "event \(skipped.sequence) (\(skipped.bytes) bytes) was larger than the replay buffer could hold (stream.replay_buffer_bytes = \(limit)) and was only delivered live: events after \(sequence) cannot be replayed"
        }
        return "events after \(sequence) are no longer held by the replay buffer (stream.replay_buffer_bytes = \(limit))"
    }

    /// Releases everything (the stream is gone).
    mutating func removeAll() {
        budget.release(byteCount)
        byteCount = 0
        events.removeAll()
    }

    var count: Int { events.count }
}
