/// One body chunk built already wrapped in HTTP/1.1 chunked framing (size line, bytes, CRLF), so the
/// hot path allocates and copies an event once. `body` is where the event's own bytes are, for a
/// connection that turns out not to use chunked framing.
public struct FramedChunk: Sendable, Equatable {
    /// Size line, the event's bytes, CRLF.
    public var bytes: [UInt8]
    /// The event's bytes within `bytes`.
    public var body: Range<Int>
}
