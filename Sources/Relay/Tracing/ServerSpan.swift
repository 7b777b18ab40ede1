import HTTPCodec
import RelayTracing
import Tracing

/// The span of one HTTP request (kind `server`), named and attributed as OpenTelemetry's HTTP
/// conventions say: started when the request head is parsed — a child of the caller's span when
/// the request carries a valid `traceparent` — and ended when the response is complete (for a
/// stream: when it ends) or the client leaves. Chat requests hang their upstream attempts under it.
///
/// Attributes: `http.request.method`, `url.path` (capabilities in it cut short, as in the access
/// log), `url.scheme`, `network.protocol.version`, `http.route`, `http.response.status_code`,
/// `http.response.body.size`, `client.address` (after `server.trusted_proxies`),
/// `user_agent.original`, and `spark_relay.key.name` (a named key's name, never the key). A `5xx`
/// answer sets the status to error; a client that leaves mid-response adds a `client_disconnected` event.
///
/// The attributes are gathered here and given to the span once, when it ends: a `Span`'s attributes
/// are one value behind a lock, and setting them one by one would copy the whole set each time.
struct ServerSpan {
    /// The span (its context is what children start from).
    let span: any Span
    private let method: String
    private var attributes = [String: SpanAttribute](minimumCapacity: 16)

    /// Starts the span of the request `head` from `client`.
    init(tracer: any Tracer, head: HTTPRequestHead, client: String) {
        var context = ServiceContext.topLevel
        tracer.extract(head.headers, into: &context, using: HTTPHeadersExtractor())
        let span = tracer.startSpan(head.method.rawValue, context: context, ofKind: .server)
        self.span = span
        self.method = head.method.rawValue
        guard span.isRecording else { return }
        attributes["http.request.method"] = .string(head.method.rawValue)
        attributes["url.scheme"] = .string("http")
        attributes["network.protocol.version"] = .string(head.version == .http1_0 ? "1.0" : "1.1")
        attributes["client.address"] = .string(client)
        if let agent = head.headers["User-Agent"] { attributes["user_agent.original"] = .string(agent) }
    }

    /// The trace id, when the tracer is the relay's own (for the access log and the usage record).
    var traceID: String? { span.context.spanContext?.traceID.hexString }

    /// Ends the span for a response that was written (`status` `0`: none was).
    func end(route: String?, path: String, status: Int, bodyBytes: Int, keyName: String?, clientGone: Bool) {
        if span.isRecording {
            var attributes = self.attributes
            if let route {
                span.operationName = "\(method) \(route)"
                attributes["http.route"] = .string(route)
            }
            attributes["url.path"] = .string(path)
            if status > 0 {
                attributes["http.response.status_code"] = .int64(Int64(status))
                attributes["http.response.body.size"] = .int64(Int64(bodyBytes))
            }
            if let keyName { attributes["spark_relay.key.name"] = .string(keyName) }
            if status >= 500 {
                attributes["error.type"] = .string(String(status))
                span.setStatus(SpanStatus(code: .error))
            }
            span.attributes = SpanAttributes(attributes)
            if clientGone { span.addEvent("client_disconnected") }
        }
        span.end()
    }
}
