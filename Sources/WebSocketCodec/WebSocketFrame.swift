/// One WebSocket frame (RFC 6455 §5.2). `payload` is always the unmasked application data;
/// `maskingKey` records the key the frame was (or will be) masked with on the wire.
public struct WebSocketFrame: Sendable, Equatable {
    /// Final fragment of a message.
    public var fin: Bool
    /// Reserved bit 1 (extensions only; this codec negotiates none).
    public var rsv1: Bool
    /// Reserved bit 2.
    public var rsv2: Bool
    /// Reserved bit 3.
    public var rsv3: Bool
    /// The frame's opcode.
    public var opcode: WebSocketOpcode
    /// The 4-byte masking key, or `nil` for an unmasked frame (server → client).
    public var maskingKey: [UInt8]?
    /// The unmasked payload.
    public var payload: [UInt8]

    /// Creates a frame; by default final, no reserved bits, unmasked.
    public init(
        fin: Bool = true,
        rsv1: Bool = false,
        rsv2: Bool = false,
        rsv3: Bool = false,
        opcode: WebSocketOpcode,
        maskingKey: [UInt8]? = nil,
        payload: [UInt8]
    ) {
        precondition(maskingKey == nil || maskingKey?.count == 4, "a WebSocket masking key is exactly 4 bytes")
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payload = payload
    }
}
