/// An event dispatched by `SSEParser`, as `EventSource` would deliver it.
public struct SSEParsedEvent: Sendable, Equatable {
    /// The event type; "message" when the stream set none.
    public var type: String
    /// The data lines joined with LF.
    public var data: String
    /// The last event ID in effect when the event was dispatched.
    public var lastEventID: String

    /// A parsed event (also for building expectations in tests).
    public init(type: String = "message", data: String, lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }
}
