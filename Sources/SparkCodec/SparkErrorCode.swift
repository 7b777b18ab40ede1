/// What the relay should do with a Spark error code (SparkCodec/README.md §6).
public struct SparkErrorInfo: Sendable, Equatable {
    /// The Spark code.
    public var code: Int
    /// A readable English summary.
    public var summary: String
    /// The HTTP status to answer with while no response has started.
    public var httpStatus: Int
    /// Whether retrying the same request later may succeed.
    public var retryable: Bool
    /// The OpenAI-style error type/code (`content_filter`, `context_length_exceeded`, `rate_limit`,
    /// `invalid_request_error`, `insufficient_quota`, `permission_error`, `server_error`); `nil` for unknown codes.
    public var openAIType: String?

    /// Creates an entry.
    public init(code: Int, summary: String, httpStatus: Int, retryable: Bool = false, openAIType: String? = nil) {
        self.code = code
        self.summary = summary
        self.httpStatus = httpStatus
        self.retryable = retryable
        self.openAIType = openAIType
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
        let server = "server_error"
        let entries = [
            SparkErrorInfo(code: 10000, summary: "Spark failed to upgrade to WebSocket", httpStatus: 502, retryable: true, openAIType: server),
            SparkErrorInfo(code: 10001, summary: "Spark failed to read the client message", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10002, summary: "Spark failed to send a message to the client", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10003, summary: "request message format invalid (relay bug)", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10004, summary: "request schema invalid (relay bug)", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10005, summary: "request parameter value invalid", httpStatus: 400, openAIType: "invalid_request_error"),
            SparkErrorInfo(code: 10006, summary: "the same user is already connected elsewhere", httpStatus: 429, openAIType: "rate_limit"),
            SparkErrorInfo(code: 10007, summary: "still answering this user's previous question", httpStatus: 429, openAIType: "rate_limit"),
            SparkErrorInfo(code: 10008, summary: "Spark service capacity insufficient", httpStatus: 503, retryable: true, openAIType: server),
            SparkErrorInfo(code: 10009, summary: "Spark cannot connect to the engine", httpStatus: 502, retryable: true, openAIType: server),
            SparkErrorInfo(code: 10010, summary: "Spark failed to receive engine data", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10011, summary: "Spark failed to send data to the engine", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10012, summary: "Spark engine internal error", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10013, summary: "input failed content moderation", httpStatus: 400, openAIType: "content_filter"),
            SparkErrorInfo(code: 10014, summary: "output failed content moderation", httpStatus: 400, openAIType: "content_filter"),
            SparkErrorInfo(code: 10015, summary: "app id is blacklisted", httpStatus: 403, openAIType: "permission_error"),
            SparkErrorInfo(code: 10016, summary: "app id licence error (feature not enabled, tokens exhausted or concurrency over licence)",
                           httpStatus: 403, openAIType: "insufficient_quota"),
            SparkErrorInfo(code: 10017, summary: "Spark failed to clear history", httpStatus: 502, openAIType: server),
            SparkErrorInfo(code: 10019, summary: "conversation tends towards violating content", httpStatus: 400, openAIType: "content_filter"),
            SparkErrorInfo(code: 10021, summary: "input failed content moderation", httpStatus: 400, openAIType: "content_filter"),
            SparkErrorInfo(code: 10110, summary: "Spark service busy, retry later", httpStatus: 503, retryable: true, openAIType: server),
            SparkErrorInfo(code: 10163, summary: "engine parameter check failed", httpStatus: 400, openAIType: "invalid_request_error"),
            SparkErrorInfo(code: 10222, summary: "Spark engine network error", httpStatus: 502, retryable: true, openAIType: server),
            SparkErrorInfo(code: 10907, summary: "too many tokens: history plus question too long", httpStatus: 400,
                           openAIType: "context_length_exceeded"),
            SparkErrorInfo(code: 11200, summary: "licence error: no licence for this feature or usage over limit", httpStatus: 403,
                           openAIType: "insufficient_quota"),
            SparkErrorInfo(code: 11201, summary: "daily quota exceeded", httpStatus: 429, openAIType: "rate_limit"),
            SparkErrorInfo(code: 11202, summary: "per-second request rate exceeded", httpStatus: 429, retryable: true, openAIType: "rate_limit"),
            SparkErrorInfo(code: 11203, summary: "concurrency limit exceeded", httpStatus: 429, retryable: true, openAIType: "rate_limit"),
        ]
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.code, $0) })
    }()
}
