import Dispatch
import Glibc

/// One serial `DispatchQueue`: every connection and upstream assigned to it runs on it, so their
/// state needs no locks. Also owns a scratch read buffer shared by the loop's sockets.
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
    @discardableResult
    public func schedule(after delay: Double, _ work: @escaping @Sendable () -> Void) -> LoopTimer {
        LoopTimer(queue: queue, delay: delay, work: work)
    }
}

/// A one-shot timer on an event loop; `cancel()` is idempotent and must be called on the loop.
/// A pending timer keeps itself alive (its handler holds it) until it fires or is cancelled, so
/// dropping the handle does not cancel it.
public final class LoopTimer: @unchecked Sendable {
    private var source: (any DispatchSourceTimer)?

    init(queue: DispatchQueue, delay: Double, work: @escaping @Sendable () -> Void) {
        let source = DispatchSource.makeTimerSource(queue: queue)
        let nanoseconds = Int(max(0, delay) * 1_000_000_000)
        source.schedule(deadline: .now() + .nanoseconds(nanoseconds), leeway: .milliseconds(5))
        self.source = source
        source.setEventHandler {
            guard self.source != nil else { return }
            self.source?.cancel()
            self.source = nil
            work()
        }
        source.resume()
    }

    /// Stops the timer; its work will not run.
    public func cancel() {
        source?.cancel()
        source = nil
    }

    /// `true` until the timer fired or was cancelled.
    public var isActive: Bool { source != nil }
}
