/// What the first `GET` of a stream id found.
enum StreamClaim: Sendable, Equatable {
    /// The ticket was ours to take: open the upstream here.
    case owned(StreamTicket)
    /// Another relay (`owner`) runs the stream: read its event log.
    case remote(owner: String)
    /// No such ticket or stream (never made, expired, or its replay window passed).
    case unknown
}
