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
/// Never a prompt, an answer, a secret or a stream id.
struct UpstreamAttemptSpan {
    let span: any Span
    private let tracer: any Tracer

    /// Starts the attempt `attempt` (1 for the first) of `input` on the leased credential.
    init(tracer: any Tracer, parent: ServiceContext, input: ChatInput, lease: CredentialPool.Lease, endpoint: String,
         attempt: Int, failoverReason: String?) {
        self.tracer = tracer
        let span = tracer.startSpan("chat \(input.model.name)", context: parent, ofKind: .client)
        if span.isRecording {
            span.attributes["gen_ai.operation.name"] = "chat"
            span.attributes["gen_ai.provider.name"] = "iflytek.spark"
            span.attributes["gen_ai.request.model"] = input.model.name
            if let temperature = input.temperature { span.attributes["gen_ai.request.temperature"] = temperature }
            if let maxTokens = input.maxTokens { span.attributes["gen_ai.request.max_tokens"] = maxTokens }
            if let topK = input.topK { span.attributes["gen_ai.request.top_k"] = topK }
            span.attributes["spark.protocol"] = input.model.upstreamProtocol.rawValue
            span.attributes["spark.endpoint"] = endpoint
            span.attributes["spark.app_id"] = lease.credentials.appID
            span.attributes["spark.credential.index"] = lease.index
            span.attributes["spark.attempt"] = attempt
            if let failoverReason { span.attributes["spark.failover.reason"] = failoverReason }
        }
        self.span = span
    }

    /// `traceparent` (and the caller's `tracestate`) naming this attempt as the parent, for the
    /// upstream request.
    var propagationHeaders: [String: String] {
        var headers: [(String, String)] = []
        tracer.inject(span.context, into: &headers, using: HeaderListInjector())
        return Dictionary(headers, uniquingKeysWith: { _, last in last })
    }

    /// Spark's first frame arrived.
    func firstFrame(handshakeNanoseconds: UInt64?, tlsResumed: Bool?) {
        guard span.isRecording else { return }
        if let handshakeNanoseconds { span.attributes["spark.handshake.duration_ms"] = Double(handshakeNanoseconds) / 1_000_000 }
        if let tlsResumed { span.attributes["spark.tls.resumed"] = tlsResumed }
        span.addEvent("first_token")
    }

    /// The attempt failed and the stream moves to another credential.
    func failedOver(_ failure: StreamFailure?) {
        if span.isRecording { record(failure, outcome: "failed_over") }
        span.end()
    }

    /// The stream ended on this attempt with `terminal`; `usage` is what the usage record counts.
    func finished(_ terminal: StreamEvent, promptTokens: Int, completionTokens: Int, estimated: Bool, sid: String?,
                  toolCalled: Bool, maxTokens: Int?, sparkUsage: SparkUsage?) {
        if span.isRecording {
            if let sid { span.attributes["gen_ai.response.id"] = sid }
            span.attributes["gen_ai.usage.input_tokens"] = promptTokens
            span.attributes["gen_ai.usage.output_tokens"] = completionTokens
            if estimated { span.attributes["spark_relay.usage.estimated"] = true }
            if let failure = terminal.failure {
                let moderated = failure.sparkCode.map { SparkErrorCode.info(for: $0).isModeration } ?? false
                span.attributes["gen_ai.response.finish_reasons"] = [moderated ? "content_filter" : "error"]
                record(failure, outcome: failure.code)
            } else {
                let reason = OpenAICompletion.finishReason(toolCalled: toolCalled, usage: sparkUsage, maxTokens: maxTokens, contentFiltered: false)
                span.attributes["gen_ai.response.finish_reasons"] = [reason]
                span.addEvent(SpanEvent(name: "end", attributes: ["spark_relay.outcome": "done"]))
            }
        }
        span.end()
    }

    private func record(_ failure: StreamFailure?, outcome: String) {
        span.addEvent(SpanEvent(name: "end", attributes: ["spark_relay.outcome": .string(outcome)]))
        guard let failure else { return }
        // A client that left is not the upstream's failure: recorded, but the status stays unset.
        span.attributes["error.type"] = failure.code
        if let code = failure.sparkCode { span.attributes["spark.error.code"] = code }
        if failure.code != "client_disconnected" {
            span.setStatus(SpanStatus(code: .error, message: failure.message))
        }
    }
}
