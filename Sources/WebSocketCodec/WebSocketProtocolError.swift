/// A violation of RFC 6455 found while decoding frames or assembling messages. The connection must be
/// failed (§7.1.7) with `closeCode`, which is derived from `kind` here and nowhere else.
public struct WebSocketProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; tests and callers match on this.
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// RSV1–3 set without a negotiated extension (§5.2).
        case reservedBitsSet
        /// Opcode 0x3–0x7 or 0xB–0xF (§5.2).
        case unknownOpcode
        /// A control frame without FIN (§5.5).
        case fragmentedControlFrame
        /// A control frame with more than 125 payload bytes (§5.5).
        case controlFrameTooLong
        /// A server received an unmasked frame (§5.1).
        case unmaskedClientFrame
        /// A client received a masked frame (§5.1).
        case maskedServerFrame
        /// The payload length used more bytes than needed (§5.2).
        case nonMinimalLength
        /// The 64-bit payload length had its most significant bit set (§5.2).
        case lengthHighBitSet
        /// A frame's declared payload exceeds the decoder's `maxFrameSize`.
        case frameTooLarge
        /// A (reassembled) message exceeds the assembler's `maxMessageSize`.
        case messageTooLarge
        /// A continuation frame arrived with no fragmented message in progress (§5.4).
        case unexpectedContinuation
        /// A new text/binary frame arrived while a fragmented message was in progress (§5.4).
        case expectedContinuation
        /// A text message or close reason that is not valid UTF-8 (§8.1, §5.5.1).
        case invalidUTF8
        /// A close status code that may not appear on the wire (§7.4).
        case invalidCloseCode
        /// A close payload of exactly one byte (§5.5.1).
        case invalidClosePayload
    }

    /// What went wrong.
    public var kind: Kind
    /// Human-readable detail (no payload bytes, safe to log).
    public var message: String

    /// Creates an error of `kind` with a detail message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The status code to fail the connection with (§7.4.1): 1009 for size limits, 1007 for bad UTF-8,
    /// 1002 for everything else.
    public var closeCode: WebSocketCloseCode {
        switch kind {
        case .frameTooLarge, .messageTooLarge: .messageTooBig
        case .invalidUTF8: .invalidFramePayloadData
        case .reservedBitsSet, .unknownOpcode, .fragmentedControlFrame, .controlFrameTooLong,
             .unmaskedClientFrame, .maskedServerFrame, .nonMinimalLength, .lengthHighBitSet,
             .unexpectedContinuation, .expectedContinuation, .invalidCloseCode, .invalidClosePayload:
            .protocolError
        }
    }

    public var description: String {
        "WebSocket protocol error (\(kind), close \(closeCode.rawValue)): \(message)"
    }
}
