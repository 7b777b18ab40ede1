import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket with an accept source; hands every accepted socket to the next loop of a group
/// and enforces a bound on open connections (over it, `onOverload` gets the socket instead). When
/// `accept` fails for want of descriptors or memory it stops accepting for a growing pause
/// (`AcceptBackoff`) instead of spinning, and tries again early when one of its connections closes.
public final class Listener: @unchecked Sendable {
    /// The bound address (the real port when bound to port 0).
    public let address: SocketAddress
    private let socket: Socket
    private let queue: DispatchQueue
    private var source: (any DispatchSourceRead)?
    private let group: EventLoopGroup
    private let maxConnections: Int
    private let openConnections: Atomic<Int>
    private let onAccept: @Sendable (Socket, SocketAddress?, EventLoop) -> Void
    private let onOverload: @Sendable (Socket, EventLoop) -> Void
    private let onError: @Sendable (IOError) -> Void
    /// Accept state, only touched on `queue`.
    private var backoff = AcceptBackoff()
    private var suspended = false
    private var resumeTimer: (any DispatchSourceTimer)?
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
        self.maxConnections = maxConnections
        self.openConnections = Atomic(0)
        self.onAccept = onAccept
        self.onOverload = onOverload
        self.onError = onError
        self.queue = DispatchQueue(label: "spark-relay.accept.\(self.address)")
    }

    /// Connections accepted and not yet released with `connectionClosed()`.
    public var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Starts the accept source.
    public func start() {
        queue.sync {
            let source = DispatchSource.makeReadSource(fileDescriptor: socket.descriptor, queue: queue)
            source.setEventHandler { self.acceptAll() }
            source.setCancelHandler { self.socket.close() }
            self.source = source
            source.resume()
        }
    }

    /// Stops accepting and closes the listening socket (new connections are refused by the kernel).
    public func stop() {
        queue.sync {
            resumeTimer?.cancel()
            resumeTimer = nil
            paused.store(false, ordering: .relaxed)
            source?.cancel()
            // A suspended source never runs its cancel handler (which closes the socket).
            if suspended { suspended = false; source?.resume() }
            source = nil
        }
    }

    /// Must be called once for every socket handed to `onAccept` when its connection ends.
    public func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
        // A descriptor was freed: if accepting is paused for want of one, try again now.
        if paused.load(ordering: .relaxed) {
            queue.async { self.resumeAccepting() }
        }
    }

    /// `true` while accepting is paused after a failed `accept`.
    public var isPaused: Bool { paused.load(ordering: .relaxed) }

    /// Stops the accept source for `delay` seconds. Call on `queue`.
    private func pauseAccepting(for delay: Double) {
        guard let source, !suspended else { return }
        suspended = true
        source.suspend()
        paused.store(true, ordering: .relaxed)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .nanoseconds(Int(delay * 1_000_000_000)), leeway: .milliseconds(1))
        timer.setEventHandler { [weak self] in self?.resumeAccepting() }
        resumeTimer?.cancel()
        resumeTimer = timer
        timer.resume()
    }

    /// Ends a pause (its timer fired, or a connection closed). Call on `queue`.
    private func resumeAccepting() {
        resumeTimer?.cancel()
        resumeTimer = nil
        paused.store(false, ordering: .relaxed)
        guard suspended, let source else { return }
        suspended = false
        source.resume()
    }

    private func acceptAll() {
        // Bounded batch per wake-up so one busy listener cannot starve the queue.
        for _ in 0..<128 {
            let accepted: IOResult<(Socket, SocketAddress?)>
            do {
                accepted = try socket.accept()
            } catch {
                switch backoff.failed(errnoCode: error.errnoCode) {
                case .skip:
                    continue
                case .pause(let delay):
                    // EMFILE/ENFILE and friends: the connection stays queued in the kernel and the
                    // socket stays readable, so stop listening for readiness for a while.
                    onError(error)
                    pauseAccepting(for: delay)
                    return
                }
            }
            guard case .processed(let (client, peer)) = accepted else { return }
            backoff.succeeded()
            let loop = group.next()
            if openConnections.load(ordering: .relaxed) >= maxConnections {
                loop.execute { self.onOverload(client, loop) }
                continue
            }
            openConnections.add(1, ordering: .relaxed)
            client.setNoDelay()
            loop.execute { self.onAccept(client, peer, loop) }
        }
    }
}
