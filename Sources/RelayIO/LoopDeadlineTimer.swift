import Dispatch

/// A re-armable deadline on an event loop, for idle timeouts and heartbeats that are pushed back on
/// every chunk. `arm(after:)` only records the new deadline (a clock read and a store) when it moves
/// later, which is the per-chunk case; when the poller's timer fires before the recorded deadline
/// it re-arms itself for the time left (lazy re-arm). No timer is created or cancelled per chunk,
/// and none involves a Dispatch source or another thread (the loop's poller keeps the deadlines).
///
/// Loop-confined: create, arm, disarm and cancel on `loop`; the work runs on `loop`, at most once per
/// `arm`. The work closure should not hold its owner strongly (or the owner must `cancel()`): the
/// owner holds the timer, and dropping the timer stops it.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (not checked: `arm` runs per chunk); `deinit` only hands the poller timer's id to the loop
public final class LoopDeadlineTimer: @unchecked Sendable {
    /// The loop the timer runs on.
    public let loop: EventLoop
    private var work: (() -> Void)?
    /// The poller timer that will call `fired()`, if one is scheduled.
    private var pollerTimer: UInt64?
    /// When the work should run (monotonic ns); `nil` while disarmed.
    private var deadline: UInt64?
    /// When the poller's timer will fire next (monotonic ns); `nil` while none is scheduled.
    private var scheduledFor: UInt64?

    /// A disarmed timer that runs `work` on `loop` when an armed deadline passes.
    public init(loop: EventLoop, _ work: @escaping () -> Void) {
        self.loop = loop
        self.work = work
    }

    deinit {
        if let pollerTimer {
            let poller = loop.poller
            if loop.inEventLoop { poller.cancelTimer(pollerTimer) } else { loop.execute { poller.cancelTimer(pollerTimer) } }
        }
    }

    /// `true` while a deadline is set and its work has not run.
    public var isArmed: Bool { deadline != nil }

    /// Sets the deadline to `seconds` from now, replacing any earlier or later one. Cheap when the
    /// deadline moves later (no dispatch call). Does nothing after `cancel()`.
    public func arm(after seconds: Double) {
        guard work != nil else { return }
        let now = Self.now()
        let target = now &+ UInt64(max(0, seconds) * 1_000_000_000)
        deadline = target
        if let scheduledFor, scheduledFor <= target { return }
        schedule(at: target)
    }

    /// Clears the deadline; the timer can be armed again. A scheduled poller timer may still fire once, as a no-op.
    public func disarm() {
        deadline = nil
    }

    /// Stops the timer for good and releases the work closure.
    public func cancel() {
        deadline = nil
        scheduledFor = nil
        work = nil
        if let pollerTimer { loop.poller.cancelTimer(pollerTimer) }
        pollerTimer = nil
    }

    private func schedule(at target: UInt64) {
        if let pollerTimer { loop.poller.cancelTimer(pollerTimer) }
        // Weak: the owner holds the timer, and dropping the timer must stop it.
        pollerTimer = loop.runWork(at: target) { [weak self] in self?.fired() }
        scheduledFor = target
    }

    private func fired() {
        pollerTimer = nil
        scheduledFor = nil
        guard let deadline, work != nil else { return }
        if Self.now() < deadline {
            // Activity moved the deadline since the timer was scheduled: wait for the rest.
            schedule(at: deadline)
            return
        }
        self.deadline = nil
        work?()
    }

    /// Monotonic nanoseconds, the clock `DispatchTime` uses.
    @inline(__always)
    static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }
}
