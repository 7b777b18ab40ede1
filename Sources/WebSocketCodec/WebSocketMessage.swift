/// A complete message as the application sees it: reassembled data, or one control frame.
public enum WebSocketMessage: Sendable, Equatable {
    /// A text message (validated UTF-8).
    case text(String)
    /// A text message as its bytes, already validated as UTF-8 (from an assembler made with
    /// `textAsBytes: true`, for receivers that want bytes: no `String` is built and nothing is
    /// validated twice).
    case textBytes([UInt8])
    /// A binary message.
    case binary([UInt8])
    /// A ping with its application data (at most 125 bytes).
    case ping([UInt8])
    /// A pong with its application data.
    case pong([UInt8])
    /// A Close frame; `code` is `nil` when the frame had no body (the application sees 1005).
    case close(code: WebSocketCloseCode?, reason: String)
}
