/// What the first `GET` of a stream id found.
enum StreamClaim: Sendable, Equatable {
    /// The ticket was ours to take: open the upstream here.
    case owned(StreamTicket)
    /// Another relay (`owner`) runs the stream: read its event log. `traceParent`: the span that
    /// made the ticket, when tracing was on there.
    case remote(owner: String, traceParent: String?)
    /// No such ticket or stream (never made, expired, or its replay window passed).
    case unknown
}
