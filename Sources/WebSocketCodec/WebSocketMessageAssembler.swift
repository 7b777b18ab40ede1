/// Turns frames into messages (RFC 6455 §5.4): reassembles fragmented text and binary messages while
/// letting control frames interleave, validates text UTF-8 fragment by fragment, parses Close bodies,
/// and bounds the reassembled size. Feed it the frames a `WebSocketFrameDecoder` produces.
public struct WebSocketMessageAssembler: Sendable {
    /// The largest reassembled data message accepted. Default 16 MiB, matching the frame limit.
    public let maxMessageSize: Int
    /// `true` to deliver text messages as `.textBytes` (validated bytes) instead of `.text`.
    public let textAsBytes: Bool

    private var messageOpcode: WebSocketOpcode?
    private var buffer: [UInt8] = []
    private var utf8 = UTF8Validator()

    /// Creates an assembler that rejects data messages larger than `maxMessageSize` bytes.
    public init(maxMessageSize: Int = 16 * 1024 * 1024, textAsBytes: Bool = false) {
        self.maxMessageSize = maxMessageSize
        self.textAsBytes = textAsBytes
    }

    /// `true` while a fragmented message has started and not yet finished.
    public var isAssembling: Bool {
        messageOpcode != nil
    }

    /// Bytes of the unfinished fragmented message held so far.
    public var bufferedByteCount: Int {
        buffer.count
    }

    /// Takes the next frame; returns a message when one is complete, `nil` while a fragmented one grows.
    public mutating func receive(_ frame: WebSocketFrame) throws(WebSocketProtocolError) -> WebSocketMessage? {
        // Defensive repeats of the decoder's header checks, for frames built elsewhere.
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            throw WebSocketProtocolError(.reservedBitsSet, "reserved bits set without an extension")
        }
        guard frame.opcode.isKnown else {
            throw WebSocketProtocolError(.unknownOpcode, "unknown opcode \(frame.opcode)")
        }
        if frame.opcode.isControl {
            return try controlMessage(frame)
        }
        switch frame.opcode {
        case .continuation:
            // §5.4: a continuation needs a message in progress.
            guard messageOpcode != nil else {
                throw WebSocketProtocolError(.unexpectedContinuation, "continuation frame without a message to continue")
            }
        default:
            // §5.4: fragments of one message MUST NOT be interleaved with another data message.
            guard messageOpcode == nil else {
                throw WebSocketProtocolError(.expectedContinuation, "new \(frame.opcode) frame inside a fragmented message")
            }
            messageOpcode = frame.opcode
        }
        guard frame.payload.count <= maxMessageSize - buffer.count else {
            throw WebSocketProtocolError(
                .messageTooLarge, "message exceeds the limit of \(maxMessageSize) bytes")
        }
        // §8.1: fail as soon as the text is known not to be UTF-8, not at the end of the message.
        if messageOpcode == .text, !utf8.validate(frame.payload) {
            throw WebSocketProtocolError(.invalidUTF8, "text message is not valid UTF-8")
        }
        guard frame.fin else {
            buffer.append(contentsOf: frame.payload)
            return nil
        }
        return try finishMessage(lastFragment: frame.payload)
    }

    private mutating func finishMessage(lastFragment: [UInt8]) throws(WebSocketProtocolError) -> WebSocketMessage {
        let opcode = messageOpcode
        let bytes: [UInt8]
        if buffer.isEmpty {
            bytes = lastFragment
        } else {
            buffer.append(contentsOf: lastFragment)
            bytes = buffer
        }
        let complete = utf8.isComplete
        messageOpcode = nil
        buffer = []
        utf8.reset()
        guard opcode == .text else { return .binary(bytes) }
        guard complete else {
            throw WebSocketProtocolError(.invalidUTF8, "text message ends inside a UTF-8 sequence")
        }
        return textAsBytes ? .textBytes(bytes) : .text(String(decoding: bytes, as: UTF8.self))
    }

    private func controlMessage(_ frame: WebSocketFrame) throws(WebSocketProtocolError) -> WebSocketMessage {
        // §5.5: control frames are at most 125 bytes and never fragmented.
        guard frame.fin else {
            throw WebSocketProtocolError(.fragmentedControlFrame, "\(frame.opcode) frame without FIN")
        }
        guard frame.payload.count <= 125 else {
            throw WebSocketProtocolError(.controlFrameTooLong, "\(frame.opcode) frame longer than 125 bytes")
        }
        switch frame.opcode {
        case .ping: return .ping(frame.payload)
        case .pong: return .pong(frame.payload)
        default: return try Self.parseClose(frame.payload)
        }
    }

    /// Parses a Close body (§5.5.1): empty, or a 2-byte code that is valid on the wire (§7.4) followed by
    /// a UTF-8 reason.
    public static func parseClose(_ payload: [UInt8]) throws(WebSocketProtocolError) -> WebSocketMessage {
        if payload.isEmpty {
            return .close(code: nil, reason: "")
        }
        guard payload.count >= 2 else {
            throw WebSocketProtocolError(.invalidClosePayload, "close body of 1 byte cannot hold a status code")
        }
        let raw = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard WebSocketCloseCode.isValidReceived(raw) else {
            throw WebSocketProtocolError(.invalidCloseCode, "close code \(raw) may not be sent on the wire")
        }
        let reasonBytes = payload[2...]
        var validator = UTF8Validator()
        guard validator.validate(reasonBytes), validator.isComplete else {
            throw WebSocketProtocolError(.invalidUTF8, "close reason is not valid UTF-8")
        }
        return .close(code: WebSocketCloseCode(rawValue: raw), reason: String(decoding: reasonBytes, as: UTF8.self))
    }
}
