import HTTPCodec
import RelayIO

/// An HTTP/1.1 client on one event loop, with a keep-alive pool per origin.
///
/// One request at a time per connection. A request takes the most recently used idle connection of
/// its origin, or opens a new one (DNS off the loop, TCP, TLS for `https` with session resumption
/// through the `TLSContext`'s cache). After a complete response that lets the connection persist
/// (HTTP/1.1, no `Connection: close`, a body framed by Content-Length or chunked coding), the
/// connection goes back to the pool: at most `maxIdleConnectionsPerHost` per origin, each closed after
/// `idleConnectionTimeout` unused, or as soon as the server closes it. A request that fails on a
/// pooled connection before any response byte arrives is retried once on a new connection (the server
/// may have closed the idle connection just as the request left).
///
/// Make it, use it and shut it down on `loop`. Without `shutdown()`, idle connections still close
/// after `idleConnectionTimeout`.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (the public methods check preconditionInEventLoop; task, connection and timer callbacks run there)
public final class HTTPClient: @unchecked Sendable {
    /// The loop every connection and callback of this client is on.
    public let loop: EventLoop
    /// Timeouts, limits and pool bounds.
    public let configuration: HTTPClientConfiguration
    /// The client TLS context for `https` origins (`nil`: `https` requests fail with `.tls`).
    let tls: TLSContext?
    /// Idle connections per origin, least recently used first.
    private var idle: [HTTPClientOrigin: [HTTPClientConnection]] = [:]
    private(set) var isShutdown = false

    /// A client on `loop`; `tls` is a client context, needed for `https` origins.
    public init(loop: EventLoop, tls: TLSContext?, configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.loop = loop
        self.tls = tls
        self.configuration = configuration
    }

    /// Starts `request` to `origin`; `delegate` gets the head, the body as it arrives and exactly
    /// one `didFinishWith` (never after `cancel()`, and never before this returns). The task holds
    /// the delegate until it finishes. Call on the loop.
    @discardableResult
    public func execute(_ request: HTTPClientRequest, on origin: HTTPClientOrigin,
                        delegate: some HTTPClientTaskDelegate) -> HTTPClientTask {
        loop.preconditionInEventLoop()
        let task = HTTPClientTask(client: self, request: request, origin: origin, delegate: delegate)
        task.start()
        return task
    }

    /// Idle connections pooled for `origin` now. Call on the loop.
    public func idleConnectionCount(for origin: HTTPClientOrigin) -> Int {
        loop.preconditionInEventLoop()
        return idle[origin]?.count ?? 0
    }

    /// Closes every idle connection; later requests fail with `.shutdown`. Requests under way finish,
    /// and their connections are closed instead of pooled. Call on the loop.
    public func shutdown() {
        loop.preconditionInEventLoop()
        isShutdown = true
        let connections = idle.values.flatMap { $0 }
        idle.removeAll()
        for connection in connections { connection.close() }
    }

    // MARK: - Pool (internal, on the loop)

    /// The most recently pooled open connection to `origin`, taken out of the pool.
    func takeIdleConnection(for origin: HTTPClientOrigin) -> HTTPClientConnection? {
        while let connection = idle[origin]?.popLast() {
            if idle[origin]?.isEmpty == true { idle[origin] = nil }
            connection.idleTimer?.cancel()
            connection.idleTimer = nil
            if !connection.channel.isClosed { return connection }
        }
        return nil
    }

    /// A task is done with `connection`: pool it if it may persist and there is room, else close it.
    func release(_ connection: HTTPClientConnection, reusable: Bool) {
        let limit = configuration.maxIdleConnectionsPerHost
        guard reusable, !isShutdown, !connection.channel.isClosed, limit > 0,
              idle[connection.origin, default: []].count < limit else {
            connection.close()
            return
        }
        connection.channel.resumeReading()  // an idle connection reads, to notice the server closing it
        connection.idleTimer = loop.schedule(after: configuration.idleConnectionTimeout) { [weak connection] in
            connection?.close()
        }
        idle[connection.origin, default: []].append(connection)
    }

    /// `connection` closed: forget it if it was pooled.
    func connectionClosed(_ connection: HTTPClientConnection) {
        guard var connections = idle[connection.origin],
              let index = connections.firstIndex(where: { $0 === connection }) else { return }
        connections.remove(at: index)
        idle[connection.origin] = connections.isEmpty ? nil : connections
    }
}
