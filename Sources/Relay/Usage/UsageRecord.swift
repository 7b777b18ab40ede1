import JSON
import SparkCodec

/// What one chat request that reached Spark cost, whatever its outcome: one JSON line of the usage
/// file (`log.usage_file`) and what `relay_tokens_total` counts. Tokens are Spark's own `usage` when
/// its final frame came, else an estimate (`SparkTokenEstimator`) from the prompt and the text
/// actually streamed, and `usage` says which. Never a prompt, an answer, a secret or a full stream id.
struct UsageRecord: Sendable, Equatable {
    /// How the request ended, in the terms an invoice needs.
    enum Outcome: String, Sendable, Equatable {
        /// Spark's last frame arrived.
        case done
        /// The client left before the end (the upstream was cancelled).
        case clientGone = "client_gone"
        /// Spark refused the content (moderation codes).
        case moderation
        /// Spark or the way to it failed (its code in `errorCode`).
        case upstreamError = "upstream_error"
        /// The relay ended the stream (replay buffer full, drain, …; its code in `errorCode`).
        case relayError = "relay_error"
    }

    /// Wall-clock time of the end, seconds since 1970.
    var time: UnixTime
    /// The request's id, as in the access log.
    var requestID: String
    /// The named key, when the request carried one.
    var key: String?
    /// The client's address (after trusted proxies), when no named key identifies it.
    var client: String?
    /// The route pattern: `/chat/stream`, `/chat`, `/v1/chat/completions`.
    var route: String
    /// The model's name.
    var model: String
    var sparkProtocol: SparkProtocol
    /// Whether the answer was streamed to the client.
    var stream: Bool
    var promptTokens: Int
    var completionTokens: Int
    /// `true` when the tokens are the relay's estimate, not Spark's `usage`.
    var estimated: Bool
    var outcome: Outcome
    /// Spark's integer code or the relay's string code of a failure.
    var errorCode: String?
    /// From the request's arrival to the end, milliseconds.
    var durationMilliseconds: Double
    /// From the upstream request to Spark's first frame, milliseconds (`nil` without one).
    var timeToFirstTokenMilliseconds: Double?
    /// Spark's session id (what iFlytek's console bills by).
    var sid: String?
    /// The trace of the request, when tracing is on (`tracing.otlp_endpoint`).
    var traceID: String? = nil

    var totalTokens: Int { promptTokens + completionTokens }

    /// The record as one line of JSON, newline-terminated. Members in a fixed order.
    func jsonLine() -> [UInt8] {
        var writer = JSONWriter(capacity: 320)
        writer.beginObject()
        writer.key("time"); writer.string(RelayLogHandler.timestamp(seconds: Int(time.secondsSince1970),
                                                                        milliseconds: Int((time.secondsSince1970 * 1000).truncatingRemainder(dividingBy: 1000))))
        writer.key("request_id"); writer.string(requestID)
        writer.key("key"); if let key { writer.string(key) } else { writer.null() }
        writer.key("client"); if let client { writer.string(client) } else { writer.null() }
        writer.key("route"); writer.string(route)
        writer.key("model"); writer.string(model)
        writer.key("protocol"); writer.string(sparkProtocol.rawValue)
        writer.key("stream"); writer.bool(stream)
        writer.key("prompt_tokens"); writer.int(promptTokens)
        writer.key("completion_tokens"); writer.int(completionTokens)
        writer.key("total_tokens"); writer.int(totalTokens)
        writer.key("usage"); writer.string(estimated ? "estimate" : "spark")
        writer.key("outcome"); writer.string(outcome.rawValue)
        writer.key("error_code"); if let errorCode { writer.string(errorCode) } else { writer.null() }
        writer.key("duration_ms"); writer.raw(Array(FixedPoint.format(durationMilliseconds, decimals: 1).utf8))
        writer.key("ttft_ms")
        if let timeToFirstTokenMilliseconds { writer.raw(Array(FixedPoint.format(timeToFirstTokenMilliseconds, decimals: 1).utf8)) } else { writer.null() }
        writer.key("sid"); if let sid { writer.string(sid) } else { writer.null() }
        writer.key("trace_id"); if let traceID { writer.string(traceID) } else { writer.null() }
        writer.endObject()
        var bytes = writer.bytes
        bytes.append(0x0A)
        return bytes
    }
}
