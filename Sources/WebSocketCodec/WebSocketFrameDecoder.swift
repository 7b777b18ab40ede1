/// A resumable, sans-I/O frame decoder (RFC 6455 §5.2): append bytes as they arrive, then call `next()`
/// until it returns `nil`.
///
/// Every header rule is checked as soon as the bytes that carry it are buffered, so a peer announcing an
/// oversize frame is rejected from its header alone, before any payload is buffered (as NIO's
/// `validateState(maxFrameSize:)`). After an error the decoder is poisoned: `next()` throws it again.
///
/// The buffer holds what was appended and not yet decoded: at most one partial frame (bounded by
/// `maxFrameSize` + 14 header bytes) plus whatever the caller appended in one call. Consumed bytes are
/// dropped by advancing a read index; the array is compacted only when the dead prefix dominates, so
/// decoding is linear in the input.
public struct WebSocketFrameDecoder: Sendable {
    /// Which end we are; decides which masking is legal for received frames (§5.1).
    public let role: WebSocketRole
    /// The largest payload accepted in a single frame. Default 16 MiB: far above any Spark frame
    /// (a few KB of JSON) yet bounded, so a hostile length cannot make us buffer gigabytes.
    public let maxFrameSize: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: WebSocketProtocolError?

    /// Dead prefix length above which `append` compacts the buffer (if it is also half the buffer).
    private static let compactionThreshold = 4096

    /// Creates a decoder for `role` that rejects frames whose payload exceeds `maxFrameSize` bytes.
    public init(role: WebSocketRole, maxFrameSize: Int = 16 * 1024 * 1024) {
        precondition(maxFrameSize >= 125, "maxFrameSize must admit control frames (125 bytes)")
        self.role = role
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes appended and not yet returned as frames.
    public var bufferedByteCount: Int {
        buffer.count - readIndex
    }

    /// Appends received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes straight from a read buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame with its payload unmasked, `nil` if more bytes are needed.
    /// Throws on the first protocol violation, and again on every later call.
    public mutating func next() throws(WebSocketProtocolError) -> WebSocketFrame? {
        if let failure { throw failure }
        do throws(WebSocketProtocolError) {
            return try decodeFrame()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func compactIfWorthwhile() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= Self.compactionThreshold, readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    private mutating func decodeFrame() throws(WebSocketProtocolError) -> WebSocketFrame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let start = readIndex
        let first = buffer[start]
        let second = buffer[start + 1]

        // §5.2: "RSV1, RSV2, RSV3 … MUST be 0 unless an extension is negotiated" (we negotiate none).
        guard first & 0x70 == 0 else {
            throw WebSocketProtocolError(.reservedBitsSet, "reserved bits 0x\(String(first & 0x70, radix: 16)) set")
        }
        let fin = first & 0x80 != 0
        let opcode = WebSocketOpcode(rawValue: first & 0x0F)
        // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
        guard opcode.isKnown else {
            throw WebSocketProtocolError(.unknownOpcode, "unknown opcode \(opcode)")
        }
        let masked = second & 0x80 != 0
        let shortLength = second & 0x7F
        if opcode.isControl {
            // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
            guard fin else {
                throw WebSocketProtocolError(.fragmentedControlFrame, "\(opcode) frame without FIN")
            }
            guard shortLength <= 125 else {
                throw WebSocketProtocolError(.controlFrameTooLong, "\(opcode) frame longer than 125 bytes")
            }
        }
        // §5.1: a server MUST close on an unmasked frame; a client MUST close on a masked frame.
        switch role {
        case .server where !masked:
            throw WebSocketProtocolError(.unmaskedClientFrame, "client sent an unmasked \(opcode) frame")
        case .client where masked:
            throw WebSocketProtocolError(.maskedServerFrame, "server sent a masked \(opcode) frame")
        default:
            break
        }

        var headerLength = 2
        let payloadLength: UInt64
        switch shortLength {
        case 126:
            guard available >= 4 else { return nil }
            payloadLength = UInt64(buffer[start + 2]) << 8 | UInt64(buffer[start + 3])
            // §5.2: "the minimal number of bytes MUST be used to encode the length".
            guard payloadLength >= 126 else {
                throw WebSocketProtocolError(.nonMinimalLength, "length \(payloadLength) sent in 16 bits")
            }
            headerLength = 4
        case 127:
            guard available >= 10 else { return nil }
            var value: UInt64 = 0
            for offset in 2..<10 {
                value = value << 8 | UInt64(buffer[start + offset])
            }
            // §5.2: "the most significant bit MUST be 0" for the 64-bit length.
            guard value & (1 << 63) == 0 else {
                throw WebSocketProtocolError(.lengthHighBitSet, "64-bit length with its most significant bit set")
            }
            guard value > 0xFFFF else {
                throw WebSocketProtocolError(.nonMinimalLength, "length \(value) sent in 64 bits")
            }
            payloadLength = value
            headerLength = 10
        default:
            payloadLength = UInt64(shortLength)
        }
        // Checked from the header alone, before the payload is buffered.
        guard payloadLength <= UInt64(maxFrameSize) else {
            throw WebSocketProtocolError(
                .frameTooLarge, "frame payload of \(payloadLength) bytes exceeds the limit of \(maxFrameSize)")
        }

        var maskingKey: [UInt8]?
        if masked {
            guard available >= headerLength + 4 else { return nil }
            maskingKey = Array(buffer[(start + headerLength)..<(start + headerLength + 4)])
            headerLength += 4
        }
        let length = Int(payloadLength)
        guard available >= headerLength + length else { return nil }

        let payloadStart = start + headerLength
        var payload = Array(buffer[payloadStart..<(payloadStart + length)])
        if let maskingKey {
            WebSocketMasking.apply(key: maskingKey, to: &payload)
        }
        readIndex = payloadStart + length
        return WebSocketFrame(fin: fin, opcode: opcode, maskingKey: maskingKey, payload: payload)
    }
}
