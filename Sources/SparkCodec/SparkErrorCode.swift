/// What the relay does with a Spark error code: the one place a code is classified (HTTP status,
/// retry, credential failover, moderation, and the error OpenAI clients are given; SparkCodec/README.md §6).
public struct SparkErrorInfo: Sendable, Equatable {
    /// What kind of failure a code is; decides how OpenAI clients are told.
    public enum Category: Sendable, Equatable {
        /// Spark or its engine failed (or the relay sent something Spark could not read).
        case server
        /// Too busy, or too many requests or conversations at once: retry soon.
        case busy
        /// The day's quota is used up.
        case dailyQuota
        /// The app may not do this (licence, blacklist).
        case permission
        /// The conversation is longer than the model takes.
        case contextLength
        /// A parameter value Spark refused.
        case invalidRequest
        /// Content moderation stopped the question or the answer.
        case moderation
    }

    /// The error an OpenAI-compatible client gets for a code, before a response started.
    public struct OpenAIError: Sendable, Equatable {
        /// HTTP status.
        public var status: Int
        /// OpenAI's error `type` (its SDKs pick the exception class from the status and this).
        public var type: String
        /// OpenAI's error `code`.
        public var code: String
        /// `Retry-After` seconds, for statuses that invite a retry.
        public var retryAfterSeconds: Int?
    }

    /// The Spark code.
    public var code: Int
    /// A readable English summary.
    public var summary: String
    /// The HTTP status to answer with while no response has started.
    public var httpStatus: Int
    /// Whether retrying the same request later may succeed.
    public var retryable: Bool
    /// What kind of failure it is.
    public var category: Category
    /// Whether another Spark app of the credential pool may not have this failure (licence, quota,
    /// rate): a conversation that relayed nothing yet moves to the next app.
    public var failsOver: Bool

    /// Creates an entry.
    public init(code: Int, summary: String, httpStatus: Int, retryable: Bool = false, category: Category = .server,
                failsOver: Bool = false) {
        self.code = code
        self.summary = summary
        self.httpStatus = httpStatus
        self.retryable = retryable
        self.category = category
        self.failsOver = failsOver
    }

    /// Moderation ends an OpenAI completion with `finish_reason: "content_filter"`.
    public var isModeration: Bool { category == .moderation }

    /// The error OpenAI clients get for this code.
    public var openAIError: OpenAIError {
        let sparkCode = "spark_\(code)"
        switch category {
        case .busy: return OpenAIError(status: 429, type: "rate_limit_error", code: sparkCode, retryAfterSeconds: 1)
        case .dailyQuota: return OpenAIError(status: 429, type: "insufficient_quota", code: sparkCode, retryAfterSeconds: 60)
        case .permission: return OpenAIError(status: 403, type: "permission_error", code: sparkCode)
        case .contextLength: return OpenAIError(status: 400, type: "invalid_request_error", code: "context_length_exceeded")
        case .invalidRequest: return OpenAIError(status: 400, type: "invalid_request_error", code: sparkCode)
        case .server, .moderation:
            return OpenAIError(status: httpStatus >= 500 ? httpStatus : 502, type: "upstream_error", code: sparkCode)
        }
    }
}

/// The table of Spark error codes.
public enum SparkErrorCode {
    /// The entry for `code`; unknown codes map to 502, not retryable, summary `Spark error <code>`.
    public static func info(for code: Int) -> SparkErrorInfo {
        table[code] ?? SparkErrorInfo(code: code, summary: "Spark error \(code)", httpStatus: 502)
    }

    /// Every code with a known meaning.
    public static var knownCodes: [Int] { table.keys.sorted() }

    private static let table: [Int: SparkErrorInfo] = {
        let entries = [
            SparkErrorInfo(code: 10000, summary: "Spark failed to upgrade to WebSocket", httpStatus: 502, retryable: true),
            SparkErrorInfo(code: 10001, summary: "Spark failed to read the client message", httpStatus: 502),
            SparkErrorInfo(code: 10002, summary: "Spark failed to send a message to the client", httpStatus: 502),
            SparkErrorInfo(code: 10003, summary: "request message format invalid (relay bug)", httpStatus: 502),
            SparkErrorInfo(code: 10004, summary: "request schema invalid (relay bug)", httpStatus: 502),
            SparkErrorInfo(code: 10005, summary: "request parameter value invalid", httpStatus: 400, category: .invalidRequest),
            SparkErrorInfo(code: 10006, summary: "the same user is already connected elsewhere", httpStatus: 429, category: .busy),
            SparkErrorInfo(code: 10007, summary: "still answering this user's previous question", httpStatus: 429, category: .busy),
            SparkErrorInfo(code: 10008, summary: "Spark service capacity insufficient", httpStatus: 503, retryable: true, category: .busy),
            SparkErrorInfo(code: 10009, summary: "Spark cannot connect to the engine", httpStatus: 502, retryable: true),
            SparkErrorInfo(code: 10010, summary: "Spark failed to receive engine data", httpStatus: 502),
            SparkErrorInfo(code: 10011, summary: "Spark failed to send data to the engine", httpStatus: 502),
            SparkErrorInfo(code: 10012, summary: "Spark engine internal error", httpStatus: 502),
            SparkErrorInfo(code: 10013, summary: "input failed content moderation", httpStatus: 400, category: .moderation),
            SparkErrorInfo(code: 10014, summary: "output failed content moderation", httpStatus: 400, category: .moderation),
            SparkErrorInfo(code: 10015, summary: "app id is blacklisted", httpStatus: 403, category: .permission),
            SparkErrorInfo(code: 10016, summary: "app id licence error (feature not enabled, tokens exhausted or concurrency over licence)",
                           httpStatus: 403, category: .permission, failsOver: true),
            SparkErrorInfo(code: 10017, summary: "Spark failed to clear history", httpStatus: 502),
            SparkErrorInfo(code: 10019, summary: "conversation tends towards violating content", httpStatus: 400, category: .moderation),
            SparkErrorInfo(code: 10021, summary: "input failed content moderation", httpStatus: 400, category: .moderation),
            SparkErrorInfo(code: 10110, summary: "Spark service busy, retry later", httpStatus: 503, retryable: true, category: .busy),
            SparkErrorInfo(code: 10163, summary: "engine parameter check failed", httpStatus: 400, category: .invalidRequest),
            SparkErrorInfo(code: 10222, summary: "Spark engine network error", httpStatus: 502, retryable: true),
            SparkErrorInfo(code: 10907, summary: "too many tokens: history plus question too long", httpStatus: 400,
                           category: .contextLength),
            SparkErrorInfo(code: 11200, summary: "licence error: no licence for this feature or usage over limit", httpStatus: 403,
                           category: .permission, failsOver: true),
            SparkErrorInfo(code: 11201, summary: "daily quota exceeded", httpStatus: 429, category: .dailyQuota, failsOver: true),
            SparkErrorInfo(code: 11202, summary: "per-second request rate exceeded", httpStatus: 429, retryable: true, category: .busy,
                           failsOver: true),
            SparkErrorInfo(code: 11203, summary: "concurrency limit exceeded", httpStatus: 429, retryable: true, category: .busy,
                           failsOver: true),
        ]
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.code, $0) })
    }()
}
