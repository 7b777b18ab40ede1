import Dispatch
import Synchronization
#if canImport(Glibc)
import CLinuxShim
import Glibc
#endif

/// How readiness of a loop's connected sockets reaches the loop's serial queue: one `epoll` instance
/// per loop, waited on by one thread of the loop's own, which hands every batch of ready descriptors
/// to the queue with `queue.sync`.
///
/// A `DispatchSource` per socket costs, per readiness, a wake of libdispatch's manager thread (its
/// own epoll), a hop to a worker thread woken for the target queue, and a re-arm. With this poller a
/// batch costs one `epoll_wait` return; `queue.sync` on an idle serial queue runs the batch on the
/// poll thread itself (and waits its turn behind work already on the queue otherwise), so every
/// handler still runs on the loop's queue and loop confinement holds. Every descriptor of the relay
/// is watched this way: connections, the listening socket (first loop), connects in progress and TLS
/// handshakes; only `execute` (a hop onto another loop's queue) is left to Dispatch.
///
/// Level-triggered; a registration with no interest is removed from the epoll set (so a hung-up
/// socket whose reading is paused is not reported again and again). Events carry a token, never the
/// descriptor, so an event fetched before a close is dropped even if the descriptor number is reused.
/// Registration and handler lookups happen only on the loop's queue; the thread starts with the
/// first registration or timer and ends when the loop is released. Should `epoll_wait` fail for any
/// reason but `EINTR`, the loop can no longer see its sockets: the thread reports it through
/// `EventLoopFailure` (by default: a message on standard error and exit), and the descriptors stay
/// open until `stop()`, so their numbers cannot be reused under a loop that is still referenced.
///
/// The loop's timers live here too: a min-heap of deadlines whose earliest one is `epoll_wait`'s
/// timeout, so arming, firing and cancelling a timer costs no thread hand-off (a Dispatch timer
/// source wakes libdispatch's manager thread and then a worker each time: measured, it made most of
/// a stream's ~40 context switches). Scheduling a deadline earlier than the one the thread sleeps
/// towards wakes it through the eventfd.
// @unchecked: registrations, timers and the descriptors are touched only on the loop's queue (the poll thread enters it with `queue.sync`) or by `stop()` once the loop is released; what the poll thread reads outside the queue is atomic
final class ReadinessPoller: @unchecked Sendable {
    /// What a registered socket wants to hear about.
    struct Interest: OptionSet, Sendable {
        let rawValue: UInt32
        static let readable = Interest(rawValue: UInt32(EPOLLIN.rawValue))
        static let writable = Interest(rawValue: UInt32(EPOLLOUT.rawValue))
    }

    /// One socket's registration: its handler gets the readiness bits (`EPOLLIN`, `EPOLLOUT`,
    /// `EPOLLHUP`, `EPOLLERR`) on the loop's queue.
    final class Registration {
        let descriptor: Int32
        let token: UInt64
        fileprivate(set) var interest: Interest = []
        fileprivate var handler: ((UInt32) -> Void)?

        fileprivate init(descriptor: Int32, token: UInt64, handler: @escaping (UInt32) -> Void) {
            self.descriptor = descriptor
            self.token = token
            self.handler = handler
        }
    }

    /// Ready descriptors taken from the kernel per wake-up.
    static let maxEventsPerWait: Int32 = 256

    /// How the poll thread waits: `epoll_wait`'s signature and result (`-1` with `errno` set).
    typealias Wait = @Sendable (Int32, UnsafeMutablePointer<epoll_event>, Int32, Int32) -> Int32

    /// Which side closes the descriptors once the poll thread is over.
    fileprivate enum DescriptorOwner {
        /// The poll thread, when it ends after `stop()`.
        static let pollThread = 0
        /// The poll thread failed and left them open: `stop()` closes them.
        static let failedPollThread = 1
        /// `stop()` came first: a poll thread that fails afterwards closes them.
        static let stopped = 2
    }

    private let queue: DispatchQueue
    private let label: String
    private let wait: Wait
    private let onFailure: @Sendable (String) -> Void
    private(set) var epollDescriptor: Int32 = -1
    private(set) var wakeDescriptor: Int32 = -1
    private var registrations: [UInt64: Registration] = [:]
    private var nextToken: UInt64 = 1
    private var threadStarted = false
    /// Pending timers by deadline (monotonic ns), ties in scheduling order; cancelled ones are
    /// dropped when they reach the top.
    private var timerHeap: [(deadline: UInt64, id: UInt64)] = []
    private var timerWork: [UInt64: () -> Void] = [:]
    private var nextTimerID: UInt64 = 1
    /// The deadline the poll thread sleeps towards (`UInt64.max`: none); set on the loop's queue.
    private let sleepingUntil = Atomic<UInt64>(.max)
    /// `true` while the poll thread runs a batch on the queue (it recomputes its timeout afterwards,
    /// so a new earliest deadline needs no wake-up then).
    fileprivate var inBatch = false
    /// Set by `stop()`: the thread ends at its next wake-up.
    private let stopping = Atomic<Bool>(false)
    /// A `DescriptorOwner` value.
    fileprivate let descriptorOwner = Atomic<Int>(DescriptorOwner.pollThread)
    /// The `errno` the poll thread failed with (0 while it runs): registrations fail with it since.
    fileprivate let pollFailure = Atomic<Int32>(0)

    /// Creates the epoll and wake descriptors now (so a process's descriptor count does not change when
    /// the first connection arrives); the thread starts with the first registration. `wait` and
    /// `onFailure` are `epoll_wait` and `EventLoopFailure.report` except in tests.
    init(queue: DispatchQueue, label: String, wait: @escaping Wait = { epoll_wait($0, $1, $2, $3) },
         onFailure: @escaping @Sendable (String) -> Void = EventLoopFailure.report) {
        self.queue = queue
        self.label = label
        self.wait = wait
        self.onFailure = onFailure
        try? openDescriptors()
    }

    /// Registers `descriptor` with no interest yet; call on the loop's queue.
    func register(descriptor: Int32, handler: @escaping (UInt32) -> Void) throws(IOError) -> Registration {
        try startIfNeeded()
        let registration = Registration(descriptor: descriptor, token: nextToken, handler: handler)
        nextToken += 1
        registrations[registration.token] = registration
        return registration
    }

    /// Changes what `registration` waits for; call on the loop's queue.
    func update(_ registration: Registration, interest: Interest) throws(IOError) {
        guard registration.handler != nil, interest != registration.interest else { return }
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.u64 = registration.token
        let operation: Int32
        if registration.interest.isEmpty {
            operation = EPOLL_CTL_ADD
        } else if interest.isEmpty {
            operation = EPOLL_CTL_DEL
        } else {
            operation = EPOLL_CTL_MOD
        }
        guard epoll_ctl(epollDescriptor, operation, registration.descriptor, &event) == 0 else {
            throw IOError(errnoCode: errno, operation: "epoll_ctl")
        }
        registration.interest = interest
    }

    /// Forgets `registration` (before its descriptor is closed); call on the loop's queue. With
    /// `closingDescriptor`, the caller closes the descriptor right after, which takes it out of the
    /// epoll set by itself (the relay never duplicates a socket's descriptor, so the close is the last
    /// reference to it): the `EPOLL_CTL_DEL` is skipped, one system call less per connection. Its
    /// number may then be reused at once; events already fetched for it carry the old token and are
    /// dropped.
    func unregister(_ registration: Registration, closingDescriptor: Bool = false) {
        guard registration.handler != nil else { return }
        if !registration.interest.isEmpty && !closingDescriptor {
            var event = epoll_event()
            _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, registration.descriptor, &event)
        }
        registration.interest = []
        registration.handler = nil
        registrations.removeValue(forKey: registration.token)
    }

    /// Runs `work` on the loop's queue once the monotonic clock reaches `deadline` (nanoseconds, the
    /// clock of `DispatchTime.uptimeNanoseconds`), unless cancelled first; call on the loop's queue.
    /// Returns the timer's id for `cancelTimer`.
    func scheduleTimer(at deadline: UInt64, _ work: @escaping () -> Void) throws(IOError) -> UInt64 {
        try startIfNeeded()
        let id = nextTimerID
        nextTimerID += 1
        timerWork[id] = work
        pushTimer((deadline, id))
        if !inBatch, deadline < sleepingUntil.load(ordering: .acquiring) {
            sleepingUntil.store(deadline, ordering: .releasing)
            wake()
        }
        return id
    }

    /// Forgets a timer that has not fired; call on the loop's queue.
    func cancelTimer(_ id: UInt64) {
        timerWork.removeValue(forKey: id)
    }

    /// Runs every timer whose deadline has passed, in deadline order; returns the next deadline to
    /// sleep towards. On the loop's queue (the poll thread calls it inside `queue.sync`).
    fileprivate func runExpiredTimers() -> UInt64 {
        var now = DispatchTime.now().uptimeNanoseconds
        while let top = timerHeap.first {
            guard timerWork[top.id] != nil else {
                popTimer()
                continue
            }
            guard top.deadline <= now else { break }
            popTimer()
            let work = timerWork.removeValue(forKey: top.id)
            work?()
            now = DispatchTime.now().uptimeNanoseconds
        }
        let next = timerHeap.first?.deadline ?? .max
        sleepingUntil.store(next, ordering: .releasing)
        return next
    }

    private func pushTimer(_ entry: (deadline: UInt64, id: UInt64)) {
        timerHeap.append(entry)
        var child = timerHeap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.earlier(timerHeap[child], timerHeap[parent]) else { break }
            timerHeap.swapAt(child, parent)
            child = parent
        }
    }

    private func popTimer() {
        let last = timerHeap.removeLast()
        guard !timerHeap.isEmpty else { return }
        timerHeap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < timerHeap.count, Self.earlier(timerHeap[left], timerHeap[first]) { first = left }
            if right < timerHeap.count, Self.earlier(timerHeap[right], timerHeap[first]) { first = right }
            if first == parent { return }
            timerHeap.swapAt(parent, first)
            parent = first
        }
    }

    private static func earlier(_ a: (deadline: UInt64, id: UInt64), _ b: (deadline: UInt64, id: UInt64)) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id)
    }

    private func wake() {
        guard wakeDescriptor >= 0 else { return }
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(wakeDescriptor, $0.baseAddress, 8) }
    }

    /// Ends the poll thread (the loop is going away); without a thread, or after it failed, closes
    /// the descriptors.
    func stop() {
        guard threadStarted else {
            closeDescriptors()
            return
        }
        stopping.store(true, ordering: .releasing)
        wake()
        if descriptorOwner.exchange(DescriptorOwner.stopped, ordering: .acquiringAndReleasing) == DescriptorOwner.failedPollThread {
            closeDescriptors()
        }
    }

    private func closeDescriptors() {
        if epollDescriptor >= 0 { Glibc.close(epollDescriptor) }
        if wakeDescriptor >= 0 { Glibc.close(wakeDescriptor) }
        epollDescriptor = -1
        wakeDescriptor = -1
    }

    /// The epoll instance and the eventfd that ends the thread; a failure is retried at registration.
    private func openDescriptors() throws(IOError) {
        guard epollDescriptor < 0 else { return }
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw IOError(errnoCode: errno, operation: "epoll_create1") }
        let wake = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard wake >= 0 else {
            let code = errno
            Glibc.close(epoll)
            throw IOError(errnoCode: code, operation: "eventfd")
        }
        var event = epoll_event()
        event.events = UInt32(EPOLLIN.rawValue)
        event.data.u64 = 0
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event) == 0 else {
            let code = errno
            Glibc.close(epoll)
            Glibc.close(wake)
            throw IOError(errnoCode: code, operation: "epoll_ctl(eventfd)")
        }
        epollDescriptor = epoll
        wakeDescriptor = wake
    }

    private func startIfNeeded() throws(IOError) {
        guard !threadStarted else {
            let failure = pollFailure.load(ordering: .acquiring)
            if failure != 0 { throw IOError(errnoCode: failure, operation: "epoll_wait") }
            return
        }
        try openDescriptors()
        let epoll = epollDescriptor
        let wake = wakeDescriptor
        var thread = pthread_t()
        let context = Unmanaged.passRetained(PollThreadContext(poller: self, epoll: epoll, wake: wake, queue: queue,
                                                               label: label, wait: wait, onFailure: onFailure))
        let status = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<PollThreadContext>.fromOpaque(raw!).takeRetainedValue()
            context.run()
            return nil
        }, context.toOpaque())
        guard status == 0 else {
            context.release()
            Glibc.close(epoll)
            Glibc.close(wake)
            epollDescriptor = -1
            wakeDescriptor = -1
            throw IOError(errnoCode: status, operation: "pthread_create")
        }
        pthread_detach(thread)
        threadStarted = true
    }

    /// Runs one batch on the loop's queue: each event's handler, unless its registration is gone;
    /// `false` once the poller is stopping.
    fileprivate func deliver(_ events: UnsafeMutablePointer<epoll_event>, count: Int) -> Bool {
        for index in 0..<count {
            let event = events[index]
            let token = event.data.u64
            if token == 0 {
                var value: UInt64 = 0
                _ = withUnsafeMutableBytes(of: &value) { Glibc.read(wakeDescriptor, $0.baseAddress, 8) }
                continue
            }
            guard let registration = registrations[token], let handler = registration.handler else { continue }
            handler(event.events)
        }
        return !stopping.load(ordering: .acquiring)
    }
}

/// What the poll thread holds: the poller is retained for the thread's lifetime; the thread closes
/// the descriptors when it ends after `stop()`, and leaves them to `stop()` when it fails.
private final class PollThreadContext: Sendable {
    let poller: ReadinessPoller
    let epoll: Int32
    let wake: Int32
    let queue: DispatchQueue
    let label: String
    let wait: ReadinessPoller.Wait
    let onFailure: @Sendable (String) -> Void

    /// `epoll_wait`'s timeout in milliseconds for a monotonic deadline: -1 for none, rounded up so
    /// a timer never fires early.
    static func timeout(until deadline: UInt64) -> Int32 {
        guard deadline != .max else { return -1 }
        let now = DispatchTime.now().uptimeNanoseconds
        guard deadline > now else { return 0 }
        let milliseconds = (deadline - now + 999_999) / 1_000_000
        return Int32(min(milliseconds, UInt64(Int32.max)))
    }

    init(poller: ReadinessPoller, epoll: Int32, wake: Int32, queue: DispatchQueue, label: String,
         wait: @escaping ReadinessPoller.Wait, onFailure: @escaping @Sendable (String) -> Void) {
        self.poller = poller
        self.epoll = epoll
        self.wake = wake
        self.queue = queue
        self.label = label
        self.wait = wait
        self.onFailure = onFailure
    }

    func run() {
        let capacity = Int(ReadinessPoller.maxEventsPerWait)
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        var nextDeadline = UInt64.max
        while true {
            let count = wait(epoll, events, ReadinessPoller.maxEventsPerWait, Self.timeout(until: nextDeadline))
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                failed(errnoCode: code)
                return
            }
            // The non-generic `sync` goes straight to dispatch_sync; the generic one (with a result)
            // goes through the overlay's helper and a metadata lookup on every batch.
            var keepRunning = true
            queue.sync {
                poller.inBatch = true
                if count > 0 { keepRunning = poller.deliver(events, count: Int(count)) }
                nextDeadline = poller.runExpiredTimers()
                poller.inBatch = false
            }
            if !keepRunning {
                closeDescriptors()
                return
            }
        }
    }

    /// `epoll_wait` failed and the loop is blind: new registrations fail with the error, the failure
    /// is reported, and the descriptors stay open for `stop()` unless it already ran.
    private func failed(errnoCode: Int32) {
        poller.pollFailure.store(errnoCode, ordering: .releasing)
        let error = IOError(errnoCode: errnoCode, operation: "epoll_wait")
        onFailure("event loop \(label) stopped: \(error); its connections can no longer be served")
        let owner = poller.descriptorOwner.exchange(ReadinessPoller.DescriptorOwner.failedPollThread, ordering: .acquiringAndReleasing)
        if owner == ReadinessPoller.DescriptorOwner.stopped { closeDescriptors() }
    }

    private func closeDescriptors() {
        Glibc.close(epoll)
        Glibc.close(wake)
    }
}

/// What happens when an event loop's poll thread cannot go on (`epoll_wait` failed): the relay must
/// not keep running with a loop that no longer sees its sockets. The handler gets a message naming the
/// loop and the error; the default writes it to standard error and exits with status 70 (EX_SOFTWARE).
public enum EventLoopFailure {
    private static let handler = Mutex<@Sendable (String) -> Void>({ EventLoopFailure.terminate($0) })

    /// Replaces the handler (process-wide), for example to log through the application's logger
    /// before exiting; it should not return.
    public static func setHandler(_ newHandler: @escaping @Sendable (String) -> Void) {
        handler.withLock { $0 = newHandler }
    }

    /// Passes `message` to the current handler.
    public static func report(_ message: String) {
        let current = handler.withLock { $0 }
        current(message)
    }

    /// Writes `message` to standard error and exits with status 70 (EX_SOFTWARE).
    public static func terminate(_ message: String) -> Never {
        let line = Array("spark-relay: fatal: \(message)\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        exit(70)
    }
}
