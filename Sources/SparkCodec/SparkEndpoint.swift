import WebSocketCodec

/// A Spark WebSocket endpoint: `ws`/`wss`, host, optional non-default port and path.
/// `--spark-base-url` (README.md, "Command line") swaps scheme, host and port via `replacingBase(with:)`.
public struct SparkEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `ws` or `wss`, lowercase.
    public var scheme: String
    /// Host name or IP literal, without IPv6 brackets.
    public var host: String
    /// The port, `nil` when it is the scheme's default (80 for `ws`, 443 for `wss`).
    public var port: Int?
    /// The absolute path, starting with `/`, no query.
    public var path: String

    /// Creates an endpoint. A `port` equal to the scheme's default is normalised to `nil`.
    public init(scheme: String, host: String, port: Int? = nil, path: String) {
        self.scheme = scheme.lowercased()
        self.host = host
        self.path = path.isEmpty ? "/" : path
        let defaultPort = Self.defaultPort(for: self.scheme)
        self.port = port == defaultPort ? nil : port
    }

    /// Parses `ws://host[:port]/path` or `wss://…` with the WebSocket URL parser, refusing a query
    /// (the signature adds its own). IPv6 literals are bracketed (`ws://[::1]:8081/v1.1/chat`); an
    /// empty path becomes `/`.
    public init?(url: String) {
        guard let parsed = WebSocketURL(url), !parsed.hasQuery else { return nil }
        self.init(scheme: parsed.isSecure ? "wss" : "ws", host: parsed.host, port: parsed.port, path: parsed.path)
    }

    /// The URL authority as it goes into the signature and the `host` parameter: the host (IPv6
    /// literals in brackets) plus `:port` when the port is not the scheme's default.
    public var authority: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        if let port { return "\(hostPart):\(port)" }
        return hostPart
    }

    /// The port to connect to.
    public var effectivePort: Int { port ?? Self.defaultPort(for: scheme) }

    /// `true` for `wss`.
    public var isSecure: Bool { scheme == "wss" }

    /// The unsigned URL (no secrets in it).
    public var url: String { "\(scheme)://\(authority)\(path)" }

    /// Same as `url`.
    public var description: String { url }

    /// This endpoint's path on `base`'s scheme, host and port (`--spark-base-url`: base
    /// `wss://127.0.0.1:9443` + `/v3.5/chat` → `wss://127.0.0.1:9443/v3.5/chat`). `base.path` is ignored.
    public func replacingBase(with base: SparkEndpoint) -> SparkEndpoint {
        SparkEndpoint(scheme: base.scheme, host: base.host, port: base.port, path: path)
    }

    /// 80 for `ws`, 443 for `wss` (RFC 6455 §3).
    public static func defaultPort(for scheme: String) -> Int {
        scheme == "wss" ? 443 : 80
    }
}
