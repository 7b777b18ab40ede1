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
struct ServerSpan {
    /// The span (its context is what children start from).
    let span: any Span
    private let method: String

    /// Starts the span of the request `head` from `client`.
    init(tracer: any Tracer, head: HTTPRequestHead, client: String) {
        var context = ServiceContext.topLevel
        tracer.extract(head.headers, into: &context, using: HTTPHeadersExtractor())
        let span = tracer.startSpan(head.method.rawValue, context: context, ofKind: .server)
        if span.isRecording {
            span.attributes["http.request.method"] = head.method.rawValue
            span.attributes["url.scheme"] = "http"
            span.attributes["network.protocol.version"] = head.version == .http1_0 ? "1.0" : "1.1"
            span.attributes["client.address"] = client
            if let agent = head.headers["User-Agent"] { span.attributes["user_agent.original"] = agent }
        }
        self.span = span
        self.method = head.method.rawValue
    }

    /// The trace id, when the tracer is the relay's own (for the access log and the usage record).
    var traceID: String? { span.context.spanContext?.traceID.hexString }

    /// Ends the span for a response that was written (`status` `0`: none was).
    func end(route: String?, path: String, status: Int, bodyBytes: Int, keyName: String?, clientGone: Bool) {
        if span.isRecording {
            if let route {
                span.operationName = "\(method) \(route)"
                span.attributes["http.route"] = route
            }
            span.attributes["url.path"] = path
            if status > 0 {
                span.attributes["http.response.status_code"] = status
                span.attributes["http.response.body.size"] = bodyBytes
            }
            if let keyName { span.attributes["spark_relay.key.name"] = keyName }
            if status >= 500 {
                span.attributes["error.type"] = String(status)
                span.setStatus(SpanStatus(code: .error))
            }
            if clientGone { span.addEvent("client_disconnected") }
        }
        span.end()
    }
}
