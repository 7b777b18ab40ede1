/// A parsed request line plus header section, with the connection semantics derived from it.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The request method.
    public var method: HTTPMethod
    /// The raw request-target as received.
    public var target: String
    /// Path part, still percent-encoded: origin-form path, the path of an absolute-form URL
    /// (`/` when empty), `*` for asterisk-form, empty for authority-form (CONNECT).
    public var path: String
    /// Query without the `?`, or nil when the target has none.
    public var query: String?
    /// HTTP/1.0 or HTTP/1.1.
    public var version: HTTPVersion
    /// Header fields in wire order.
    public var headers: HTTPHeaders
    /// Whether the connection stays open after this exchange (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request that has a body (RFC 9110 §10.1.1).
    public var expectsContinue: Bool
    /// The authority of an absolute-form or authority-form target, else the Host header value.
    public var host: String?

    /// Builds a head and derives path, query, host, keep-alive and expectsContinue from the inputs.
    /// The target is split without validation; the parser validates before calling this.
    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders()) {
        let form = HTTPRequestTarget.split(Array(target.utf8), method: method)
        let hasBody = headers.contains("Transfer-Encoding") || (headers["Content-Length"].flatMap(Int.init) ?? 0) > 0
        self.init(method: method, target: target, form: form, version: version, headers: headers, hasBody: hasBody)
    }

    init(method: HTTPMethod, target: String, form: HTTPRequestTarget, version: HTTPVersion, headers: HTTPHeaders, hasBody: Bool) {
        self.method = method
        self.target = target
        self.path = form.path
        self.query = form.query
        self.version = version
        self.headers = headers
        self.host = form.authority ?? headers["Host"]
        self.keepAlive = HTTPRequestHead.keepAlive(version: version, headers: headers)
        self.expectsContinue = version == .http1_1 && hasBody
            && headers.values(for: "Expect").contains { HTTPSyntax.equalsIgnoringCase($0, "100-continue") }
    }

    /// RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive`.
    static func keepAlive(version: HTTPVersion, headers: HTTPHeaders) -> Bool {
        let tokens = headers.tokens(for: "Connection")
        if tokens.contains("close") { return false }
        switch version {
        case .http1_1: return true
        case .http1_0: return tokens.contains("keep-alive")
        }
    }
}
