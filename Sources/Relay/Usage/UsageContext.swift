/// Who asked and where, for the usage record of a chat stream: taken from the request that started
/// it (for a ticket, from the request that made the ticket).
struct UsageContext: Sendable, Equatable {
    var requestID: String
    /// The named key, when the request carried one.
    var key: String?
    /// The client's address after trusted proxies.
    var client: String?
    /// The route pattern.
    var route: String
    /// Whether the client reads the answer as a stream.
    var stream: Bool
    /// When the request arrived (monotonic seconds, the stream's clock).
    var startedAt: Double
    /// The trace the request belongs to, when tracing is on.
    var traceID: String? = nil
}
