import HTTPCodec
import Logging
import RelayIO

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
    /// Whose `X-Forwarded-For` is believed; `nil` when nobody's is.
    let trustedProxies: TrustedProxies?
    /// One table per loop index, made at init and never replaced: each is only touched on its loop.
    private let perLoop: [LoopConnections<HTTPConnection>]
    private let onConnectionClosed: @Sendable () -> Void

    init(configuration: RelayConfiguration, router: Router, logger: Logger, loopCount: Int, metrics: RelayMetrics?,
         onConnectionClosed: @escaping @Sendable () -> Void) {
        self.metrics = metrics
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

    func register(_ connection: HTTPConnection, on loop: EventLoop) {
        loop.preconditionInEventLoop()
        let table = perLoop[loop.index]
        table.insert(connection)
        if table.isDraining { connection.beginDrain() }
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

    /// Marks the loop as draining and asks its connections to finish.
    func drain(_ loop: EventLoop) {
        loop.preconditionInEventLoop()
        for connection in perLoop[loop.index].startDraining() { connection.beginDrain() }
    }

    /// Closes every connection of the loop at once.
    func closeAll(_ loop: EventLoop) {
        loop.preconditionInEventLoop()
        for connection in perLoop[loop.index].all { connection.closeNow() }
    }
}
