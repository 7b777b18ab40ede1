import HTTPCodec

/// Cross-origin rules: which origins may call the relay from a browser, the preflight answer, and
/// the headers added to responses for allowed origins.
struct CORSPolicy: Sendable {
    let allowedOrigins: Set<String>
    let allowsAnyOrigin: Bool
    let allowCredentials: Bool
    let maxAge: Int

    static let allowedMethods = "GET, POST, OPTIONS"
    static let allowedHeaders = "Authorization, Content-Type, Last-Event-ID, Accept, Cache-Control"
    static let exposedHeaders = "X-Stream-Id, Retry-After, X-Relay-Ignored-Params"

    init(_ configuration: RelayConfiguration.CORS) {
        self.allowedOrigins = Set(configuration.allowedOrigins.filter { $0 != "*" })
        self.allowsAnyOrigin = configuration.allowedOrigins.contains("*")
        self.allowCredentials = configuration.allowCredentials
        self.maxAge = configuration.maxAge
    }

    var isEnabled: Bool { allowsAnyOrigin || !allowedOrigins.isEmpty }

    func allows(_ origin: String) -> Bool {
        allowsAnyOrigin || allowedOrigins.contains(origin)
    }

    /// `true` for a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`).
    static func isPreflight(_ head: HTTPRequestHead) -> Bool {
        head.method == .options && head.headers.contains("Origin") && head.headers.contains("Access-Control-Request-Method")
    }

    /// The answer to a preflight: `204` with the allowances, or `403` for an origin not allowed.
    func preflightResponse(origin: String) -> HTTPResponse {
        guard allows(origin) else {
            return APIError(status: .forbidden, type: "invalid_request_error", code: "origin_not_allowed",
                            message: "cross-origin requests from this origin are not allowed").response
        }
        var headers = HTTPHeaders()
        apply(to: &headers, origin: origin)
        headers.add(name: "Access-Control-Allow-Methods", value: Self.allowedMethods)
        headers.add(name: "Access-Control-Allow-Headers", value: Self.allowedHeaders)
        headers.add(name: "Access-Control-Max-Age", value: String(maxAge))
        return HTTPResponse(status: .noContent, headers: headers)
    }

    /// Adds the CORS response headers for an allowed `origin` (credentials only with an exact origin).
    func apply(to headers: inout HTTPHeaders, origin: String) {
        guard allows(origin) else { return }
        let exact = allowedOrigins.contains(origin)
        headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: exact ? origin : "*")
        if allowCredentials && exact { headers.replaceOrAdd(name: "Access-Control-Allow-Credentials", value: "true") }
        headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: Self.exposedHeaders)
        headers.replaceOrAdd(name: "Vary", value: "Origin")
    }
}
