import HTTPCodec
import RelayIO
import RelayTracing
import Tracing

/// A request as handlers see it: the parsed head, the whole body (bounded by `http.max_body_bytes`)
/// and the path parameters the route matched.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// Values of `{name}` segments in the route pattern.
    public var pathParameters: [String: String]
    /// The peer, when known.
    public var remoteAddress: SocketAddress?
    /// The client's address: the peer's, or the one a trusted proxy named (`server.trusted_proxies`).
    public var clientAddress: String?
    /// A short id for log lines about this request.
    public var requestID: String
    /// Who is asking (`key:…` for an API key, `addr:…` when keys are off); set by the client gate.
    public var clientID: String = ""
    /// The named key (`auth.keys[]`) the request was made with; set by the client gate.
    public var keyName: String?
    /// The request's server span, when tracing is on: handlers start child spans from its context
    /// and link it to the spans of the stream it reads.
    public var span: (any Span)?

    /// The context child spans start from (the server span's; top-level without tracing).
    public var traceContext: ServiceContext { span?.context ?? .topLevel }
    /// The trace id of the server span, when the tracer is the relay's own.
    var traceID: String? { span?.context.spanContext?.traceID.hexString }

    public init(head: HTTPRequestHead, body: [UInt8] = [], pathParameters: [String: String] = [:],
                remoteAddress: SocketAddress? = nil, requestID: String = "") {
        self.head = head
        self.body = body
        self.pathParameters = pathParameters
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    public var method: HTTPMethod { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
}
