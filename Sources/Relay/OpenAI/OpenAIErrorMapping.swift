import HTTPCodec
import SparkCodec

/// Spark and relay failures in OpenAI's terms, so SDKs raise the matching exception class:
/// rate limits 429 (+ `Retry-After`), licence/quota 403/429, context length 400, moderation as
/// `finish_reason: "content_filter"`, unreachable upstream 502, timeouts 504.
enum OpenAIErrorMapping {
    /// Spark's moderation codes end a completion with `finish_reason: "content_filter"`.
    static func isContentFilter(_ failure: StreamFailure) -> Bool {
        guard let code = failure.sparkCode else { return false }
        return SparkErrorCode.info(for: code).openAIType == "content_filter"
    }

    /// The HTTP error for a failure before anything was sent.
    static func apiError(for failure: StreamFailure) -> APIError {
        let message = failure.message
        if let code = failure.sparkCode {
            switch code {
            case 11202, 11203, 10006, 10007, 10008, 10110:
                return APIError(status: .tooManyRequests, type: "rate_limit_error", code: "spark_\(code)", message: message,
                                headers: [("Retry-After", "1")])
            case 11201:
                return APIError(status: .tooManyRequests, type: "insufficient_quota", code: "spark_\(code)", message: message,
                                headers: [("Retry-After", "60")])
            case 11200, 10015, 10016:
                return APIError(status: .forbidden, type: "permission_error", code: "spark_\(code)", message: message)
            case 10907:
                return APIError(status: .badRequest, type: "invalid_request_error", code: "context_length_exceeded", message: message)
            case 10005, 10163:
                return APIError(status: .badRequest, type: "invalid_request_error", code: "spark_\(code)", message: message)
            default:
                let status = SparkErrorCode.info(for: code).httpStatus
                return APIError(status: HTTPStatus(code: status >= 500 ? status : 502), type: "upstream_error", code: "spark_\(code)", message: message)
            }
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
