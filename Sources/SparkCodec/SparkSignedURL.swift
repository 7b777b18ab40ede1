/// A signed Spark URL with every intermediate value of the signature (SparkCodec/README.md §3.1).
/// The URL is a replayable credential for about five minutes: `description`, `debugDescription`
/// and reflection show only `scheme://host/path?<signed query redacted>`. Use `url` for the transport only.
public struct SparkSignedURL: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `ws` or `wss`.
    public var scheme: String
    /// The URL authority (host plus non-default port), as signed.
    public var host: String
    /// The request path, as signed.
    public var path: String
    /// The RFC 1123 date, as signed.
    public var date: String
    /// `host: …\ndate: …\nGET <path> HTTP/1.1`.
    public var signatureOrigin: String
    /// Base64 HMAC-SHA256 of `signatureOrigin` under the API secret.
    public var signature: String
    /// `api_key="…", algorithm="hmac-sha256", headers="host date request-line", signature="…"`.
    public var authorizationOrigin: String
    /// Base64 of `authorizationOrigin`.
    public var authorization: String
    /// `authorization=…&date=…&host=…`, form-encoded.
    public var query: String
    /// The full signed URL for the WebSocket client.
    public var url: String

    /// Creates a signed URL from its parts (normally via `SparkURLSigner`).
    public init(scheme: String, host: String, path: String, date: String, signatureOrigin: String, signature: String,
                authorizationOrigin: String, authorization: String, query: String, url: String) {
        self.scheme = scheme
        self.host = host
        self.path = path
        self.date = date
        self.signatureOrigin = signatureOrigin
        self.signature = signature
        self.authorizationOrigin = authorizationOrigin
        self.authorization = authorization
        self.query = query
        self.url = url
    }

    /// The request target for the upgrade request: `path?query`.
    public var requestTarget: String { "\(path)?\(query)" }

    /// `wss://host/path?<signed query redacted>`.
    public var description: String { "\(scheme)://\(host)\(path)?<signed query redacted>" }

    /// Same as `description`.
    public var debugDescription: String { description }

    /// Reflection shows the redacted form only.
    public var customMirror: Mirror {
        Mirror(self, children: ["url": description], displayStyle: .struct)
    }
}
