import HTTPCodec
import JSON
import SparkCodec

/// Spark and relay failures in OpenAI's terms, so SDKs raise the matching exception class:
/// rate limits 429 (+ `Retry-After`), licence/quota 403/429, context length 400, moderation as
/// `finish_reason: "content_filter"`, unreachable upstream 502, timeouts 504.
enum OpenAIErrorMapping {
    /// Spark's moderation codes end a completion with `finish_reason: "content_filter"`.
    static func isContentFilter(_ failure: StreamFailure) -> Bool {
        guard let code = failure.sparkCode else { return false }
        return SparkErrorCode.info(for: code).isModeration
    }

    /// The HTTP error for a failure before anything was sent: Spark's codes as the code table says.
    static func apiError(for failure: StreamFailure) -> APIError {
        let message = failure.message
        if let code = failure.sparkCode {
            let error = SparkErrorCode.info(for: code).openAIError
            return APIError(status: HTTPStatus(code: error.status), type: error.type, code: error.code, message: message,
                            headers: error.retryAfterSeconds.map { [("Retry-After", String($0))] } ?? [])
        }
        if failure.httpStatus == 429 {
            return APIError(status: .tooManyRequests, type: "rate_limit_error", code: failure.code, message: message,
                            headers: [("Retry-After", "1")])
        }
        let status = failure.httpStatus == 504 ? HTTPStatus.gatewayTimeout
            : failure.httpStatus == 503 ? .serviceUnavailable : .badGateway
        return APIError(status: status, type: failure.type == "upstream_error" ? "upstream_error" : "server_error",
                        code: failure.code, message: message)
    }

    /// The error object OpenAI streams mid-response (`data: {"error":{…}}`).
    static func streamedError(for failure: StreamFailure) -> [UInt8] {
        let error = apiError(for: failure)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("message"); writer.string(error.message)
        writer.key("type"); writer.string(error.type)
        writer.key("code"); writer.string(error.code)
        writer.key("param"); writer.null()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}
