import HTTPCodec

/// `GET /healthz`: a JSON summary for load balancers and operators. `503` while draining.
public struct HealthHandler: Sendable {
    /// What `/healthz` reports about the process.
    public struct Status: Encodable, Sendable {
        public var status: String
        public var upstream: String
        public var auth: String
        public var version: String
        /// `memory` or `redis` (`cluster.engine`).
        public var engine: String
        /// With the Redis engine: `ok` or `degraded` (Redis unreachable); absent for memory.
        public var engine_status: String?
    }

    private let upstreamMode: String
    private let authMode: String
    private let isDraining: @Sendable () -> Bool
    private let engineState: @Sendable () -> (engine: String, status: String?)

    public init(upstreamMode: String, authMode: String, isDraining: @escaping @Sendable () -> Bool,
                engineState: @escaping @Sendable () -> (engine: String, status: String?) = { ("memory", nil) }) {
        self.engineState = engineState
        self.upstreamMode = upstreamMode
        self.authMode = authMode
        self.isDraining = isDraining
    }

    public func handle(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let draining = isDraining()
        let engine = engineState()
        var response = HTTPResponse.json(
            Status(status: draining ? "draining" : "ok", upstream: upstreamMode, auth: authMode, version: RelayVersion.current,
                   engine: engine.engine, engine_status: engine.status),
            status: draining ? .serviceUnavailable : .ok)
        response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        writer.respond(response)
    }
}

/// The relay's version string.
public enum RelayVersion {
    public static let current = "0.1.0"
}
