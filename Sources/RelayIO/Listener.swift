import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket with an accept source; hands every accepted socket to the next loop of a group
/// and enforces a bound on open connections (over it, `onOverload` gets the socket instead).
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
            source?.cancel()
            source = nil
        }
    }

    /// Must be called once for every socket handed to `onAccept` when its connection ends.
    public func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    private func acceptAll() {
        // Bounded batch per wake-up so one busy listener cannot starve the queue.
        for _ in 0..<128 {
            let accepted: IOResult<(Socket, SocketAddress?)>
            do {
                accepted = try socket.accept()
            } catch {
                // EMFILE/ENFILE and friends: report and back off to the next readiness event.
                onError(error)
                return
            }
            guard case .processed(let (client, peer)) = accepted else { return }
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
