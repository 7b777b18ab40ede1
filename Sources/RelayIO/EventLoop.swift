import Dispatch
import Glibc

/// One serial `DispatchQueue`: every connection and upstream assigned to it runs on it, so their
/// state needs no locks. Also owns a scratch read buffer shared by the loop's sockets.
// @unchecked: every stored property is a `let`; the memory behind `readBuffer` is only used on `queue`, and the poller is shared under its own confinement rules
public final class EventLoop: @unchecked Sendable {
    /// The queue all work of this loop runs on.
    public let queue: DispatchQueue
    /// The loop's index in its group, for logs.
    public let index: Int
    private let key = DispatchSpecificKey<Int>()
    /// Scratch space for reads; only touched on `queue`.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Readiness of the loop's stream channels (epoll, one thread; handlers run on `queue`).
    let poller: ReadinessPoller

    public init(index: Int, label: String = "spark-relay.loop", readBufferSize: Int = 64 * 1024) {
        self.index = index
        self.queue = DispatchQueue(label: "\(label).\(index)")
        self.readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
        self.poller = ReadinessPoller(queue: queue, label: "\(label).\(index)")
        queue.setSpecific(key: key, value: index)
    }

    deinit {
        poller.stop()
        readBuffer.deallocate()
    }

    /// `true` when called on this loop's queue.
    public var inEventLoop: Bool {
        DispatchQueue.getSpecific(key: key) == index
    }

    /// Traps unless called on this loop (cheap check of loop confinement).
    @inline(__always)
    public func preconditionInEventLoop(file: StaticString = #fileID, line: UInt = #line) {
        dispatchPrecondition(condition: .onQueue(queue))
    }

    /// Runs `work` on the loop, later.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    /// Runs `work` on the loop after `delay` seconds unless the returned timer is cancelled first.
    /// The deadline is kept by the loop's poller (no Dispatch source, no thread hand-off).
    @discardableResult
    public func schedule(after delay: Double, _ work: @escaping @Sendable () -> Void) -> LoopTimer {
        LoopTimer(loop: self, delay: delay, work: work)
    }

    /// Runs `work` on the loop once the monotonic clock (`LoopDeadlineTimer.now()`) reaches
    /// `deadline`; call on the loop. Returns the poller's timer id (for `poller.cancelTimer`), or
    /// `nil` when the loop could not start its poll thread and Dispatch keeps the deadline instead:
    /// that one cannot be cancelled, so `work` must ignore a call it no longer wants.
    func runWork(at deadline: UInt64, _ work: @escaping @Sendable () -> Void) -> UInt64? {
        do throws(IOError) {
            return try poller.scheduleTimer(at: deadline, work)
        } catch {
            let seconds = Double(deadline &- min(deadline, LoopDeadlineTimer.now())) / 1_000_000_000
            queue.asyncAfter(deadline: .now() + seconds, execute: work)
            return nil
        }
    }
}

/// A one-shot timer on an event loop; `cancel()` is idempotent and must be called on the loop.
/// A pending timer keeps itself alive (the poller holds its work) until it fires or is cancelled,
/// so dropping the handle does not cancel it. Made off the loop, it is armed on the loop shortly
/// after (a `cancel()` on the loop before that still wins).
// @unchecked: `work` and `id` are touched only on `loop`: the initializer hops there when called elsewhere, `fire` runs there, and `cancel` and `isActive` are for the loop only
public final class LoopTimer: @unchecked Sendable {
    private let loop: EventLoop
    private var work: (@Sendable () -> Void)?
    private var id: UInt64?

    init(loop: EventLoop, delay: Double, work: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.work = work
        let deadline = LoopDeadlineTimer.now() &+ UInt64(max(0, delay) * 1_000_000_000)
        if loop.inEventLoop {
            arm(at: deadline)
        } else {
            loop.execute { self.arm(at: deadline) }
        }
    }

    private func arm(at deadline: UInt64) {
        guard work != nil else { return }
        id = loop.runWork(at: deadline) { [self] in fire() }
    }

    private func fire() {
        id = nil
        guard let work else { return }
        self.work = nil
        work()
    }

    /// Stops the timer; its work will not run.
    public func cancel() {
        work = nil
        if let id {
            loop.poller.cancelTimer(id)
            self.id = nil
        }
    }

    /// `true` until the timer fired or was cancelled.
    public var isActive: Bool { work != nil }
}
