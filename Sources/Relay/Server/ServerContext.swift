import HTTPCodec
import Logging
import RelayIO

/// What every connection of a server shares: settings, routes, the logger, and the bookkeeping the
/// server needs for limits and draining.
final class ServerContext: @unchecked Sendable {
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
    /// Connections per loop index; each table is only touched on its loop.
    private var tables: [[ObjectIdentifier: HTTPConnection]]
    private let onConnectionClosed: @Sendable () -> Void
    /// Set (on each loop) when the server starts draining.
    private var drainingLoops: [Bool]

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
        self.tables = Array(repeating: [:], count: loopCount)
        self.drainingLoops = Array(repeating: false, count: loopCount)
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
        tables[loop.index][ObjectIdentifier(connection)] = connection
        if drainingLoops[loop.index] { connection.beginDrain() }
    }

    func unregister(_ connection: HTTPConnection, on loop: EventLoop) {
        loop.preconditionInEventLoop()
        if tables[loop.index].removeValue(forKey: ObjectIdentifier(connection)) != nil {
            onConnectionClosed()
        }
    }

    func isDraining(_ loop: EventLoop) -> Bool {
        drainingLoops[loop.index]
    }

    /// Marks the loop as draining and asks its connections to finish.
    func drain(_ loop: EventLoop) {
        loop.preconditionInEventLoop()
        drainingLoops[loop.index] = true
        for connection in tables[loop.index].values { connection.beginDrain() }
    }

    /// Closes every connection of the loop at once.
    func closeAll(_ loop: EventLoop) {
        loop.preconditionInEventLoop()
        for connection in Array(tables[loop.index].values) { connection.closeNow() }
    }
}
