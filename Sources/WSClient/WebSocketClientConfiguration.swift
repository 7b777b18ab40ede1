/// Limits and timeouts of a `WebSocketClient`.
public struct WebSocketClientConfiguration: Sendable, Equatable {
    /// DNS plus TCP connect.
    public var connectTimeout: Double = 10
    /// TLS handshake plus the HTTP upgrade exchange.
    public var handshakeTimeout: Double = 10
    /// Largest frame accepted (checked from the frame header, before its payload is buffered).
    public var maxFrameSize: Int = 4 * 1024 * 1024
    /// Largest reassembled message accepted.
    public var maxMessageSize: Int = 4 * 1024 * 1024
    /// Largest handshake response (head plus error body) read before giving up.
    public var maxHandshakeResponseBytes: Int = 64 * 1024
    /// How long to wait for the peer's Close after sending ours before closing the socket.
    public var closeTimeout: Double = 2
    /// Output buffered before `isWritable` turns false.
    public var writeBufferBytes: Int = 256 * 1024
    /// Deliver text messages as `.textBytes` (validated UTF-8 bytes) instead of `.text(String)`.
    public var textAsBytes = false

    public init() {}
}
