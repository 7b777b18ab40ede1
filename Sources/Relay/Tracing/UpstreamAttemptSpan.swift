import RelayTracing
import SparkCodec
import SparkUpstream
import Tracing

/// The span of one attempt to have Spark answer a chat stream (kind `client`), a child of the
/// span of the request that asked for the stream. A stream that fails over has one per credential
/// tried. Named `chat {model}` with OpenTelemetry's GenAI attributes:
///
/// - at the start: `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
///   `gen_ai.request.temperature`/`max_tokens`/`top_k`, `spark.protocol`, `spark.endpoint` (never
///   signed), `spark.app_id` and `spark.credential.index` (which credential), `spark.attempt`, and
///   on a retry `spark.failover.reason` (why the previous attempt was left);
/// - at the first frame: an event `first_token`, `spark.handshake.duration_ms`, `spark.tls.resumed`;
/// - at the end: an event `end` (`spark_relay.outcome`), `gen_ai.response.id` (Spark's sid),
///   `gen_ai.usage.input_tokens`/`output_tokens` (`spark_relay.usage.estimated` when Spark sent no
///   usage), `gen_ai.response.finish_reasons`; a failure sets `error.type`, `spark.error.code`
///   (Spark's own code) and the error status with the relay's message.
///
/// Never a prompt, an answer, a secret or a stream id. The attributes are gathered here and given
/// to the span once, at its end (setting a `Span`'s attributes one by one copies the whole set each time).
struct UpstreamAttemptSpan {
    let span: any Span
    private let tracer: any Tracer
    private var attributes = [String: SpanAttribute](minimumCapacity: 16)

    /// Starts the attempt `attempt` (1 for the first) of `input` on the leased credential.
    init(tracer: any Tracer, parent: ServiceContext, input: ChatInput, lease: CredentialPool.Lease, endpoint: String,
         attempt: Int, failoverReason: String?) {
        self.tracer = tracer
        let span = tracer.startSpan("chat \(input.model.name)", context: parent, ofKind: .client)
        self.span = span
        if span.isRecording {
            attributes["gen_ai.operation.name"] = .string("chat")
            attributes["gen_ai.provider.name"] = .string("iflytek.spark")
            attributes["gen_ai.request.model"] = .string(input.model.name)
            if let temperature = input.temperature { attributes["gen_ai.request.temperature"] = .double(temperature) }
            if let maxTokens = input.maxTokens { attributes["gen_ai.request.max_tokens"] = .int64(Int64(maxTokens)) }
            if let topK = input.topK { attributes["gen_ai.request.top_k"] = .int64(Int64(topK)) }
            attributes["spark.protocol"] = .string(input.model.upstreamProtocol.rawValue)
            attributes["spark.endpoint"] = .string(endpoint)
            attributes["spark.app_id"] = .string(lease.credentials.appID)
            attributes["spark.credential.index"] = .int64(Int64(lease.index))
            attributes["spark.attempt"] = .int64(Int64(attempt))
            if let failoverReason { attributes["spark.failover.reason"] = .string(failoverReason) }
        }
    }

    /// `traceparent` (and the caller's `tracestate`) naming this attempt as the parent, for the
    /// upstream request.
    var propagationHeaders: [String: String] {
        var headers: [(String, String)] = []
        tracer.inject(span.context, into: &headers, using: HeaderListInjector())
        return Dictionary(headers, uniquingKeysWith: { _, last in last })
    }

    /// Spark's first frame arrived.
    mutating func firstFrame(handshakeNanoseconds: UInt64?, tlsResumed: Bool?) {
        guard span.isRecording else { return }
        if let handshakeNanoseconds { attributes["spark.handshake.duration_ms"] = .double(Double(handshakeNanoseconds) / 1_000_000) }
        if let tlsResumed { attributes["spark.tls.resumed"] = .bool(tlsResumed) }
        span.addEvent("first_token")
    }

    /// The attempt failed and the stream moves to another credential.
    func failedOver(_ failure: StreamFailure?) {
        if span.isRecording {
            var attributes = self.attributes
            record(failure, outcome: "failed_over", into: &attributes)
            span.attributes = SpanAttributes(attributes)
        }
        span.end()
    }

    /// The stream ended on this attempt with `terminal`; `usage` is what the usage record counts.
    func finished(_ terminal: StreamEvent, promptTokens: Int, completionTokens: Int, estimated: Bool, sid: String?,
                  toolCalled: Bool, maxTokens: Int?, sparkUsage: SparkUsage?) {
        if span.isRecording {
            var attributes = self.attributes
            if let sid { attributes["gen_ai.response.id"] = .string(sid) }
            attributes["gen_ai.usage.input_tokens"] = .int64(Int64(promptTokens))
            attributes["gen_ai.usage.output_tokens"] = .int64(Int64(completionTokens))
            if estimated { attributes["spark_relay.usage.estimated"] = .bool(true) }
            if let failure = terminal.failure {
                let moderated = failure.sparkCode.map { SparkErrorCode.info(for: $0).isModeration } ?? false
                attributes["gen_ai.response.finish_reasons"] = .stringArray([moderated ? "content_filter" : "error"])
                record(failure, outcome: failure.code, into: &attributes)
            } else {
                let reason = OpenAICompletion.finishReason(toolCalled: toolCalled, usage: sparkUsage, maxTokens: maxTokens, contentFiltered: false)
                attributes["gen_ai.response.finish_reasons"] = .stringArray([reason])
                span.addEvent(SpanEvent(name: "end", attributes: ["spark_relay.outcome": "done"]))
            }
            span.attributes = SpanAttributes(attributes)
        }
        span.end()
    }

    private func record(_ failure: StreamFailure?, outcome: String, into attributes: inout [String: SpanAttribute]) {
        span.addEvent(SpanEvent(name: "end", attributes: ["spark_relay.outcome": .string(outcome)]))
        guard let failure else { return }
        // A client that left is not the upstream's failure: recorded, but the status stays unset.
        attributes["error.type"] = .string(failure.code)
        if let code = failure.sparkCode { attributes["spark.error.code"] = .int64(Int64(code)) }
        if failure.code != "client_disconnected" {
            span.setStatus(SpanStatus(code: .error, message: failure.message))
        }
    }
}
