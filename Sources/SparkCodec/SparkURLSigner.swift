import RelayCrypto

/// Builds Spark's signed WebSocket URL (SparkCodec/README.md §3.1, vectors in `Tests/SparkCodecTests/Fixtures/auth-vectors.json`).
/// Deterministic for a given date; always emits the canonical authorization form.
public enum SparkURLSigner {
    /// Signs `scheme://host + path` for `date` (an RFC 1123 string, signed verbatim).
    /// `host` is the URL authority: include `:port` when it is not the scheme's default.
    public static func sign(credentials: SparkCredentials, scheme: String, host: String, path: String, date: String) -> SparkSignedURL {
        let signatureOrigin = signatureOrigin(host: host, date: date, path: path)
        let signature = Base64.encode(HMACSHA256.authenticationCode(key: credentials.apiSecret, message: signatureOrigin))
        let authorizationOrigin = SparkAuthorization.canonical(apiKey: credentials.apiKey, signature: signature)
        let authorization = Base64.encode(Array(authorizationOrigin.utf8))
        let query = "authorization=\(FormURLEncoding.encode(authorization))"
            + "&date=\(FormURLEncoding.encode(date))"
            + "&host=\(FormURLEncoding.encode(host))"
        return SparkSignedURL(
            scheme: scheme, host: host, path: path, date: date,
            signatureOrigin: signatureOrigin, signature: signature,
            authorizationOrigin: authorizationOrigin, authorization: authorization,
            query: query, url: "\(scheme)://\(host)\(path)?\(query)")
    }

    /// Signs `url` for `date` (formatted with `HTTPDate.format`).
    public static func sign(credentials: SparkCredentials, url: SparkEndpoint, date: UnixTime) -> SparkSignedURL {
        sign(credentials: credentials, scheme: url.scheme, host: url.authority, path: url.path, date: HTTPDate.format(date))
    }

    /// The three signed lines joined by `\n`, no trailing newline; the request line has no query.
    public static func signatureOrigin(host: String, date: String, path: String) -> String {
        "host: \(host)\ndate: \(date)\nGET \(path) HTTP/1.1"
    }
}
