import HTTPCodec

/// `GET /healthz`: a JSON summary for load balancers and operators. `503` while draining.
public struct HealthHandler: Sendable {
    /// What `/healthz` reports about the process.
    public struct Status: Encodable, Sendable {
        public var status: String
        public var upstream: String
        public var auth: String
        public var version: String
    }

    private let upstreamMode: String
    private let authMode: String
    private let isDraining: @Sendable () -> Bool

    public init(upstreamMode: String, authMode: String, isDraining: @escaping @Sendable () -> Bool) {
        self.upstreamMode = upstreamMode
        self.authMode = authMode
        self.isDraining = isDraining
    }

    public func handle(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let draining = isDraining()
        var response = HTTPResponse.json(
            Status(status: draining ? "draining" : "ok", upstream: upstreamMode, auth: authMode, version: RelayVersion.current),
            status: draining ? .serviceUnavailable : .ok)
        response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        writer.respond(response)
    }
}

/// The relay's version string.
public enum RelayVersion {
    public static let current = "0.1.0"
}
