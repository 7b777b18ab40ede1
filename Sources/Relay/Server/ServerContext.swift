import Glibc
import HTTPCodec
import Logging
import RelayIO
import Tracing

/// What every connection of a server shares: settings, routes, the logger, and the bookkeeping the
/// server needs for limits and draining. Immutable once made (so the compiler checks `Sendable`): the
/// mutable bookkeeping lives in one `LoopConnections` per loop, used only on that loop.
final class ServerContext: Sendable {
    let configuration: RelayConfiguration
    let router: Router
    let logger: Logger
    let parserLimits: HTTPParserLimits
    /// Cross-origin rules, when any origin is allowed.
    let cors: CORSPolicy?
    /// Where request counts go.
    let metrics: RelayMetrics?
    /// What each request's server span is started with (`nil`: tracing off).
    let tracer: (any Tracer)?
    /// Whose `X-Forwarded-For` is believed; `nil` when nobody's is.
    let trustedProxies: TrustedProxies?
    /// One table per loop index, made at init and never replaced: each is only touched on its loop.
    private let perLoop: [LoopConnections<HTTPConnection>]
    private let onConnectionClosed: @Sendable () -> Void

    init(configuration: RelayConfiguration, router: Router, logger: Logger, loopCount: Int, metrics: RelayMetrics?,
         tracer: (any Tracer)? = nil, onConnectionClosed: @escaping @Sendable () -> Void) {
        self.metrics = metrics
        self.tracer = tracer
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.parserLimits = HTTPParserLimits(
            maxRequestLineBytes: configuration.http.maxRequestLineBytes,
            maxHeaderBytes: configuration.http.maxHeaderBytes,
            maxHeaderCount: configuration.http.maxHeaderCount,
            maxBodyBytes: configuration.http.maxBodyBytes)
        let proxies = TrustedProxies(configuration.server.trustedProxies)
        self.trustedProxies = (proxies?.isEmpty ?? true) ? nil : proxies
        let cors = CORSPolicy(configuration.cors)
        self.cors = cors.isEnabled ? cors : nil
        self.perLoop = (0..<loopCount).map { _ in LoopConnections() }
        self.onConnectionClosed = onConnectionClosed
    }

    /// The client a request is for: the peer, or what a trusted proxy says in `X-Forwarded-For`.
    func clientAddress(peer: SocketAddress?, headers: HTTPHeaders) -> String {
        let host = peer?.host ?? "unknown"
        guard let trustedProxies else { return host }
        return trustedProxies.clientAddress(peer: host, forwardedFor: headers.values(for: "X-Forwarded-For"))
    }

    /// Notes the socket a connection reads from, before it starts (a drain reads what it holds first).
    func accepted(_ connection: HTTPConnection, descriptor: Int32, on loop: EventLoop) {
        loop.preconditionInEventLoop()
        perLoop[loop.index].setDescriptor(descriptor, of: connection)
    }

    func register(_ connection: HTTPConnection, on loop: EventLoop) {
        loop.preconditionInEventLoop()
        let table = perLoop[loop.index]
        table.insert(connection)
        if table.isDraining { tellDrain(loop) }
    }

    func unregister(_ connection: HTTPConnection, on loop: EventLoop) {
        loop.preconditionInEventLoop()
        if perLoop[loop.index].remove(connection) {
            onConnectionClosed()
        }
    }

    /// `true` once the loop drains; call on the loop.
    func isDraining(_ loop: EventLoop) -> Bool {
        loop.preconditionInEventLoop()
        return perLoop[loop.index].isDraining
    }

    /// Marks the loop as draining and asks its connections to finish. A connection whose socket still
    /// holds unread input (a request sent just before the drain) is asked once it has read it, so the
    /// request is answered instead of the connection closing under it with a reset.
    func drain(_ loop: EventLoop) {
        loop.preconditionInEventLoop()
        perLoop[loop.index].startDraining()
        tellDrain(loop)
    }

    /// Closes every connection of the loop at once.
    func closeAll(_ loop: EventLoop) {
        loop.preconditionInEventLoop()
        for connection in perLoop[loop.index].all { connection.closeNow() }
    }

    /// Pause before looking again at connections whose input is still unread (seconds).
    static let unreadInputRecheckDelay = 0.002

    /// Tells the loop's connections about the drain, those with unread input once they have read it.
    private func tellDrain(_ loop: EventLoop) {
        let table = perLoop[loop.index]
        let (ready, waiting) = table.takeReadyToDrain(hasUnreadInput: Self.hasUnreadInput)
        for connection in ready { connection.beginDrain() }
        guard waiting > 0, !table.recheckScheduled else { return }
        table.recheckScheduled = true
        loop.schedule(after: Self.unreadInputRecheckDelay) { [self] in
            table.recheckScheduled = false
            tellDrain(loop)
        }
    }

    /// `true` when the socket holds bytes nobody has read yet.
    static func hasUnreadInput(_ descriptor: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }
}
