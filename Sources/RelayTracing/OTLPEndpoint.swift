import HTTPClient
import WebSocketCodec

/// Where the OTLP exporter POSTs: an origin and a request path, from an `http://` or `https://`
/// URL (`tracing.otlp_endpoint`). A URL with no path (or just `/`) gets OTLP/HTTP's traces path
/// `/v1/traces`, the way OpenTelemetry's `OTEL_EXPORTER_OTLP_ENDPOINT` is read; a URL with a path is
/// used as it is. Parsed by the project's URL parser (`WebSocketURL`, whose authority and path rules
/// are HTTP's): no user info, no fragment.
public struct OTLPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The traces path of OTLP/HTTP.
    public static let defaultTracesPath = "/v1/traces"

    /// Scheme, host and port.
    public var origin: HTTPClientOrigin
    /// The origin-form request target.
    public var path: String

    /// An endpoint at `origin` and `path`.
    public init(origin: HTTPClientOrigin, path: String = OTLPEndpoint.defaultTracesPath) {
        self.origin = origin
        self.path = path
    }

    /// Parses `http(s)://host[:port][/path]`; `nil` for anything else.
    public init?(url: String) {
        let lowered = url.lowercased()
        let rest: Substring
        let webSocketScheme: String
        if lowered.hasPrefix("http://") {
            rest = url.dropFirst(7)
            webSocketScheme = "ws://"
        } else if lowered.hasPrefix("https://") {
            rest = url.dropFirst(8)
            webSocketScheme = "wss://"
        } else {
            return nil
        }
        guard let parsed = WebSocketURL(webSocketScheme + rest) else { return nil }
        origin = HTTPClientOrigin(isSecure: parsed.isSecure, host: parsed.host, port: parsed.port)
        path = parsed.requestTarget == "/" ? Self.defaultTracesPath : parsed.requestTarget
    }

    /// `http(s)://host:port/path`.
    public var description: String { "\(origin)\(path)" }
}
