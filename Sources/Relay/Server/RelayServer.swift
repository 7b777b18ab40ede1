import Dispatch
import Glibc
import HTTPCodec
import Logging
import Tracing
import RelayIO
import Synchronization

/// The HTTP server: event loops, the listener, connections, and the lifecycle
/// `idle → running → draining → stopped` (SIGTERM/SIGINT drain in-flight requests up to a timeout).
public final class RelayServer: Sendable {
    /// Where the server is in its life.
    public enum LifecycleState: Sendable, Equatable {
        case idle, running, draining, stopped
    }

    public let configuration: RelayConfiguration
    public let group: EventLoopGroup
    private let logger: Logger
    private let router: Router
    private let state = Mutex(LifecycleState.idle)
    /// The listener and the connections' shared context, from `start()` on.
    private let running = Mutex<Running?>(nil)
    private let connectionSerial = Atomic<Int>(0)
    private let stopped = DispatchSemaphore(value: 0)
    private let controlQueue = DispatchQueue(label: "spark-relay.control")
    /// Request counters (optional: tests of the bare server run without).
    public let metrics: RelayMetrics?
    /// What each request's server span is started with (`nil`: no spans).
    let tracer: (any Tracer)?

    /// Creates a server; nothing listens until `start()`.
    public init(configuration: RelayConfiguration, router: Router, logger: Logger, group: EventLoopGroup? = nil,
                metrics: RelayMetrics? = nil, tracer: (any Tracer)? = nil) {
        self.metrics = metrics
        self.tracer = tracer
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.group = group ?? EventLoopGroup(count: configuration.server.eventLoops)
    }

    /// The current lifecycle state.
    public var lifecycleState: LifecycleState { state.withLock { $0 } }

    /// The address the server listens on (after `start()`).
    public var localAddress: SocketAddress? { running.withLock { $0?.listener.address } }

    /// Open client connections.
    public var connectionCount: Int { running.withLock { $0?.listener.connectionCount } ?? 0 }

    /// Binds, listens and starts accepting. Returns the bound address (the real port for port 0).
    @discardableResult
    public func start() throws -> SocketAddress {
        signal(SIGPIPE, SIG_IGN)
        guard let address = Self.resolveListenAddress(host: configuration.server.host, port: configuration.server.port) else {
            throw ConfigError(key: "server.host", message: "'\(configuration.server.host)' is not an IP address or 'localhost'")
        }
        let listenerRef = Mutex<Listener?>(nil)
        let context = ServerContext(configuration: configuration, router: router, logger: logger,
                                    loopCount: group.loops.count, metrics: metrics, tracer: tracer,
                                    onConnectionClosed: { listenerRef.withLock { $0?.connectionClosed() } })
        let overloadBody = APIError.overloaded
        let acceptErrorLog = Mutex(LogThrottle(interval: 1))
        let listener = try Listener(
            address: address,
            backlog: Int32(configuration.server.backlog),
            group: group,
            maxConnections: configuration.server.maxConnections,
            onAccept: { [weak self] socket, peer, loop in
                guard let self else { socket.close(); return }
                let serial = self.connectionSerial.add(1, ordering: .relaxed).newValue
                let connection = HTTPConnection(socket: socket, remoteAddress: peer, loop: loop,
                                                context: context, connectionID: "c\(serial)")
                context.accepted(connection, descriptor: socket.descriptor, on: loop)
                connection.start()
            },
            onOverload: { socket, loop in
                Self.rejectConnection(socket, loop: loop, error: overloadBody)
            },
            onError: { [logger, metrics] error in
                // Called on the listener's queue only, at most once per pause (5 ms doubling to 1 s).
                metrics?.acceptErrors.increment()
                let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
                guard let count = acceptErrorLog.withLock({ $0.record(now: now) }) else { return }
                logger.warning("accept failed: pausing new connections", metadata: [
                    "error": "\(error)", "count": "\(count)",
                    "hint": "\(AcceptBackoff.isResourceExhaustion(error.errnoCode) ? "out of file descriptors or memory: see server.max_connections and ulimit -n" : "-")",
                ])
            })
        listenerRef.withLock { $0 = listener }
        running.withLock { $0 = Running(listener: listener, context: context) }
        state.withLock { $0 = .running }
        listener.start()
        return listener.address
    }

    /// Stops accepting, lets in-flight requests finish for up to `drain_timeout`, then closes what is
    /// left and calls `completion` (on a background queue). Idempotent.
    public func shutdown(completion: @escaping @Sendable () -> Void = {}) {
        let proceed = state.withLock { current -> Bool in
            guard current == .running else { return false }
            current = .draining
            return true
        }
        let started = running.withLock { $0 }
        guard proceed, let listener = started?.listener, let context = started?.context else {
            let neverStarted = state.withLock { current -> Bool in
                guard current == .idle else { return false }
                current = .stopped
                return true
            }
            if neverStarted { stopped.signal() }
            controlQueue.async { self.waitUntilStopped(); completion() }
            return
        }
        logger.notice("draining", metadata: ["connections": "\(listener.connectionCount)",
                                             "drain_timeout_s": "\(configuration.server.drainTimeout)"])
        listener.stop()
        for loop in group.loops { loop.execute { context.drain(loop) } }
        let deadline = DispatchTime.now() + configuration.server.drainTimeout
        pollDrain(deadline: deadline, completion: completion)
    }

    private func pollDrain(deadline: DispatchTime, completion: @escaping @Sendable () -> Void) {
        guard let started = running.withLock({ $0 }) else { return }
        let listener = started.listener
        let context = started.context
        if listener.connectionCount == 0 || DispatchTime.now() >= deadline {
            let pending = DispatchGroup()
            if listener.connectionCount > 0 {
                logger.warning("drain timeout: closing remaining connections", metadata: ["connections": "\(listener.connectionCount)"])
                for loop in self.group.loops {
                    pending.enter()
                    loop.execute { context.closeAll(loop); pending.leave() }
                }
            }
            pending.notify(queue: controlQueue) {
                self.state.withLock { $0 = .stopped }
                self.stopped.signal()
                completion()
            }
            return
        }
        controlQueue.asyncAfter(deadline: .now() + .milliseconds(20)) {
            self.pollDrain(deadline: deadline, completion: completion)
        }
    }

    /// Blocks the calling thread until the server has stopped (never call on an event loop).
    public func waitUntilStopped() {
        if lifecycleState == .stopped { return }
        stopped.wait()
        stopped.signal()
    }

    private struct Running: Sendable {
        let listener: Listener
        let context: ServerContext
    }

    /// The bind address for `host`: IP literals as given, `localhost` as 127.0.0.1.
    static func resolveListenAddress(host: String, port: Int) -> SocketAddress? {
        if host == "localhost" { return SocketAddress(ipAddress: "127.0.0.1", port: port) }
        return SocketAddress(ipAddress: host, port: port)
    }

    /// Answers a connection over the bound with 503 and closes it.
    private static func rejectConnection(_ socket: Socket, loop: EventLoop, error: APIError) {
        let body = error.body
        var headers = HTTPHeaders(error.headers)
        headers.add(name: "Content-Type", value: "application/json")
        let head = (try? HTTPResponseEncoder.encodeHead(
            HTTPResponseHead(status: error.status, version: .http1_1, headers: headers),
            framing: .contentLength(body.count), keepAlive: false)) ?? []
        let bytes = head + body
        _ = bytes.withUnsafeBytes { try? socket.write($0) }
        socket.shutdownWrite()
        socket.close()
    }
}
