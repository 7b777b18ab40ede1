/// What a failed HTTP exchange with Spark's HTTP API means (SparkCodec/README.md §10.4), read by
/// `SparkHTTPErrorBody.parse(status:body:)` from the status and the body.
public struct SparkHTTPFailure: Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, in the order `parse` decides it.
    public enum Kind: Sendable, Equatable {
        /// Spark's own error code (`{"code":N,…}` or `{"error":{"code":N,…}}`): see `SparkErrorCode`.
        case spark(code: Int)
        /// The API password or key:secret was refused (HTTP 401, or the message `invalid user`).
        case unauthorized
        /// HTTP 403 without a Spark code.
        case forbidden
        /// HTTP 404: wrong path (or host) for the model.
        case notFound
        /// HTTP 429 without a Spark code.
        case rateLimited
        /// Another 4xx without a Spark code.
        case badRequest
        /// A 5xx without a Spark code.
        case serverError
        /// Anything else (an unexpected status or body).
        case other
    }

    /// The response status.
    public var status: Int
    /// What it means.
    public var kind: Kind
    /// A log-safe message: Spark's text (or the start of a non-JSON body), at most
    /// `SparkHTTPErrorBody.maxMessageLength` characters, control characters replaced, bearer tokens redacted.
    public var message: String
    /// `sid` of the body, when present.
    public var sid: String?
    /// `error.type` of the body, when present.
    public var errorType: String?

    /// Creates a failure.
    public init(status: Int, kind: Kind, message: String, sid: String? = nil, errorType: String? = nil) {
        self.status = status
        self.kind = kind
        self.message = message
        self.sid = sid
        self.errorType = errorType
    }

    /// The Spark code of a `.spark` failure.
    public var code: Int? {
        if case .spark(let code) = kind { return code }
        return nil
    }

    /// `Spark HTTP 401 (unauthorized): invalid user`.
    public var description: String {
        let kindText = switch kind {
        case .spark(let code): "Spark error \(code)"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not found"
        case .rateLimited: "rate limited"
        case .badRequest: "bad request"
        case .serverError: "server error"
        case .other: "unexpected answer"
        }
        return "Spark HTTP \(status) (\(kindText)): \(message)" + (sid.map { " (sid \($0))" } ?? "")
    }
}
