/// A server-sent event to encode (WHATWG HTML §9.2).
public struct SSEEvent: Sendable, Equatable {
    /// `id:` field; sets the client's last event ID. Must not contain CR, LF or NUL.
    public var id: String?
    /// `event:` field; the event type (clients default to "message"). Must not contain CR or LF.
    public var event: String?
    /// The payload; any text. Line breaks become several `data:` lines and arrive as LF.
    public var data: String
    /// `retry:` field in milliseconds (non-negative).
    public var retry: Int?

    /// An event; only `data` is required.
    public init(id: String? = nil, event: String? = nil, data: String, retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
    }
}
