import HTTPCodec

/// Where requests go: scheme, host and port. The keep-alive pool is keyed by it.
public struct HTTPClientOrigin: Hashable, Sendable, CustomStringConvertible {
    /// `https` (TLS) or `http`.
    public var isSecure: Bool
    /// A DNS name or an IP literal (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An origin; `port` defaults to 443 for `https` and 80 for `http`.
    public init(isSecure: Bool, host: String, port: Int? = nil) {
        self.isSecure = isSecure
        self.host = host
        self.port = port ?? (isSecure ? 443 : 80)
    }

    /// `true` when `port` is the scheme's default (then `Host` carries no port).
    public var isDefaultPort: Bool { port == (isSecure ? 443 : 80) }

    /// `https://host:port`, for logs.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(isSecure ? "https" : "http")://\(host):\(port)"
    }
}

/// One request: method, origin-form path (`/v1/chat/completions`, with any query), header fields
/// and a body sent with `Content-Length`. `Host` and the framing fields are written by the client.
public struct HTTPClientRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The origin-form request target.
    public var path: String
    /// Fields in the order sent; they may carry credentials and are never put into errors or logs.
    public var headers: [(String, String)]
    /// The body (empty for none).
    public var body: [UInt8]

    /// A request; a GET without fields or body unless told otherwise.
    public init(method: HTTPMethod = .get, path: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}
