import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket watched by the first loop's poller; hands every accepted socket to the next
/// loop of a group (round-robin; the accepting loop's own share without a hand-off) and enforces a
/// bound on open connections (over it, `onOverload` gets the socket instead). When `accept` fails for
/// want of descriptors or memory it stops accepting for a growing pause (`AcceptBackoff`) instead of
/// spinning, and tries again early when one of its connections closes.
// @unchecked: the accept state (`registration`, `backoff`, `suspended`, `stopped`, `resumeTimer`) is touched only on `acceptLoop` (`start` and `stop` run there, poller and timer callbacks too); what other threads read is atomic
public final class Listener: @unchecked Sendable {
    /// The bound address (the real port when bound to port 0).
    public let address: SocketAddress
    private let socket: Socket
    private let group: EventLoopGroup
    /// The loop whose poller watches the listening socket; all accept state below is confined to it.
    private let acceptLoop: EventLoop
    private var registration: ReadinessPoller.Registration?
    private let maxConnections: Int
    private let backlog: Int32
    private let openConnections: Atomic<Int>
    private let onAccept: @Sendable (Socket, SocketAddress?, EventLoop) -> Void
    private let onOverload: @Sendable (Socket, EventLoop) -> Void
    private let onError: @Sendable (IOError) -> Void
    private var backoff = AcceptBackoff()
    private var suspended = false
    private var stopped = false
    private var resumeTimer: LoopTimer?
    /// Set while accepting is paused, so that closing connections (on any loop) can end the pause.
    private let paused = Atomic<Bool>(false)

    /// Binds and listens. Call `start()` to begin accepting.
    public init(
        address: SocketAddress,
        backlog: Int32 = 1024,
        group: EventLoopGroup,
        maxConnections: Int,
        onAccept: @escaping @Sendable (Socket, SocketAddress?, EventLoop) -> Void,
        onOverload: @escaping @Sendable (Socket, EventLoop) -> Void,
        onError: @escaping @Sendable (IOError) -> Void
    ) throws(IOError) {
        self.socket = try Socket.makeListening(address: address, backlog: backlog)
        do {
            self.address = try socket.localAddress()
        } catch {
            socket.close()
            throw error
        }
        self.group = group
        self.acceptLoop = group.loops[0]
        self.maxConnections = maxConnections
        self.backlog = backlog
        self.openConnections = Atomic(0)
        self.onAccept = onAccept
        self.onOverload = onOverload
        self.onError = onError
    }

    /// Connections accepted and not yet released with `connectionClosed()`.
    public var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Starts watching the listening socket; accepting has begun when this returns.
    public func start() {
        onAcceptLoop {
            guard !stopped, registration == nil else { return }
            do throws(IOError) {
                let registration = try acceptLoop.poller.register(descriptor: socket.descriptor) { [self] _ in acceptAll() }
                self.registration = registration
                try acceptLoop.poller.update(registration, interest: .readable)
            } catch {
                onError(error)
            }
        }
    }

    /// Stops accepting and closes the listening socket (new connections are refused by the kernel);
    /// done when this returns. Connections the kernel completed before are still accepted and handed
    /// over first (closing a listening socket resets the ones left in its backlog): each has reached
    /// its loop's queue, ahead of anything queued there after this returns.
    public func stop() {
        onAcceptLoop {
            guard !stopped else { return }
            resumeTimer?.cancel()
            resumeTimer = nil
            paused.store(false, ordering: .relaxed)
            if let registration {
                acceptLoop.poller.unregister(registration)
                self.registration = nil
            }
            // The backlog holds at most `backlog` completed connections; the bound only stops a flood
            // of new arrivals from keeping the sweep going.
            for _ in 0..<(Int(backlog) + 128) {
                guard acceptOne() else { break }
            }
            stopped = true
            socket.close()
        }
    }

    /// Must be called once for every socket handed to `onAccept` when its connection ends.
    public func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
        // A descriptor was freed: if accepting is paused for want of one, try again now.
        if paused.load(ordering: .relaxed) {
            acceptLoop.execute { self.resumeAccepting() }
        }
    }

    /// `true` while accepting is paused after a failed `accept`.
    public var isPaused: Bool { paused.load(ordering: .relaxed) }

    /// Runs `body` on the accepting loop and waits for it (inline when already there).
    private func onAcceptLoop(_ body: () -> Void) {
        if acceptLoop.inEventLoop {
            body()
        } else {
            acceptLoop.queue.sync(execute: body)
        }
    }

    /// Stops watching the listening socket for `delay` seconds. On the accepting loop.
    private func pauseAccepting(for delay: Double) {
        guard let registration, !suspended else { return }
        suspended = true
        try? acceptLoop.poller.update(registration, interest: [])
        paused.store(true, ordering: .relaxed)
        resumeTimer?.cancel()
        resumeTimer = acceptLoop.schedule(after: delay) { [weak self] in self?.resumeAccepting() }
    }

    /// Ends a pause (its timer fired, or a connection closed). On the accepting loop.
    private func resumeAccepting() {
        resumeTimer?.cancel()
        resumeTimer = nil
        paused.store(false, ordering: .relaxed)
        guard suspended, !stopped, let registration else { return }
        suspended = false
        do throws(IOError) {
            try acceptLoop.poller.update(registration, interest: .readable)
        } catch {
            onError(error)
        }
    }

    private func acceptAll() {
        // Bounded batch per wake-up so one busy listener cannot starve the loop.
        for _ in 0..<128 {
            guard !stopped, !suspended, acceptOne() else { return }
        }
    }

    /// Accepts one connection and hands it to its loop; `false` when there is none to take now (or
    /// accepting failed and is paused). On the accepting loop.
    private func acceptOne() -> Bool {
        let accepted: IOResult<(Socket, SocketAddress?)>
        do {
            accepted = try socket.accept()
        } catch {
            switch backoff.failed(errnoCode: error.errnoCode) {
            case .skip:
                return true
            case .pause(let delay):
                // EMFILE/ENFILE and friends: the connection stays queued in the kernel and the
                // socket stays readable, so stop listening for readiness for a while.
                onError(error)
                pauseAccepting(for: delay)
                return false
            }
        }
        guard case .processed(let (client, peer)) = accepted else { return false }
        backoff.succeeded()
        let loop = group.next()
        if openConnections.load(ordering: .relaxed) >= maxConnections {
            handOff(to: loop) { self.onOverload(client, loop) }
            return true
        }
        openConnections.add(1, ordering: .relaxed)
        client.setNoDelay()
        handOff(to: loop) { self.onAccept(client, peer, loop) }
        return true
    }

    /// Runs `work` on `loop`: right away for the accepting loop's own share, else queued to it.
    private func handOff(to loop: EventLoop, _ work: @escaping @Sendable () -> Void) {
        if loop === acceptLoop { work() } else { loop.execute(work) }
    }
}
