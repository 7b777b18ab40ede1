//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-------+-+-------------+-------------------------------+
// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
// | |1|2|3|       |K|             |                               |
// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
// |     Extended payload length continued, if payload len == 127  |
// + - - - - - - - - - - - - - - - +-------------------------------+
// |                               |Masking-key, if MASK set to 1  |
// +-------------------------------+-------------------------------+
// | Masking-key (continued)       |          Payload Data         |
// +-------------------------------- - - - - - - - - - - - - - - - +
// :                     Payload Data continued ...                :
// + - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - +
// |                     Payload Data continued ...                |
// +---------------------------------------------------------------+
//                              RFC 6455 §5.2

/// Encodes frames to wire bytes (RFC 6455 §5.2) into one preallocated array.
///
/// The encoder does not enforce the role: a client passes a fresh `maskingKey` for every frame
/// (§5.3, e.g. `SecureRandom.bytes(count: 4)`), a server passes `nil`.
public enum WebSocketFrameEncoder {
    /// The wire bytes of `frame`; the payload is masked when `frame.maskingKey` is set.
    public static func encode(_ frame: WebSocketFrame) -> [UInt8] {
        var first: UInt8 = frame.opcode.rawValue & 0x0F
        if frame.fin { first |= 0x80 }
        if frame.rsv1 { first |= 0x40 }
        if frame.rsv2 { first |= 0x20 }
        if frame.rsv3 { first |= 0x10 }
        return encode(firstByte: first, payload: frame.payload, maskingKey: frame.maskingKey)
    }

    /// The wire bytes of one frame built from its parts, masked when `maskingKey` (4 bytes) is given.
    public static func encode(
        opcode: WebSocketOpcode,
        payload: some Collection<UInt8>,
        fin: Bool = true,
        maskingKey: [UInt8]?
    ) -> [UInt8] {
        encode(firstByte: (fin ? 0x80 : 0) | (opcode.rawValue & 0x0F), payload: payload, maskingKey: maskingKey)
    }

    /// A Close frame body (§5.5.1): the code in network byte order, then the UTF-8 reason truncated on a
    /// character boundary so the body fits the 125-byte control-frame limit (123 bytes of reason).
    public static func closePayload(code: WebSocketCloseCode, reason: String) -> [UInt8] {
        var reasonBytes = Array(reason.utf8)
        if reasonBytes.count > maxCloseReasonLength {
            var cut = maxCloseReasonLength
            // Back up over continuation bytes (10xxxxxx) so no character is split.
            while cut > 0, reasonBytes[cut] & 0xC0 == 0x80 {
                cut -= 1
            }
            reasonBytes.removeSubrange(cut...)
        }
        return [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)] + reasonBytes
    }

    /// 125 bytes of control payload (§5.5) minus the 2-byte status code.
    public static let maxCloseReasonLength = 123

    private static func encode(firstByte: UInt8, payload: some Collection<UInt8>, maskingKey: [UInt8]?) -> [UInt8] {
        precondition(maskingKey == nil || maskingKey?.count == 4, "a WebSocket masking key is exactly 4 bytes")
        let length = payload.count
        let lengthBytes = length <= 125 ? 0 : (length <= 0xFFFF ? 2 : 8)
        let maskFlag: UInt8 = maskingKey == nil ? 0 : 0x80
        let headerLength = 2 + lengthBytes + (maskingKey == nil ? 0 : 4)
        let total = headerLength + length
        return [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            out[0] = firstByte
            switch lengthBytes {
            case 0:
                out[1] = maskFlag | UInt8(length)
            case 2:
                out[1] = maskFlag | 126
                out[2] = UInt8(length >> 8)
                out[3] = UInt8(length & 0xFF)
            default:
                out[1] = maskFlag | 127
                let wide = UInt64(length)
                for index in 0..<8 {
                    out[2 + index] = UInt8(truncatingIfNeeded: wide >> (56 - 8 * UInt64(index)))
                }
            }
            if let maskingKey {
                for index in 0..<4 {
                    out[headerLength - 4 + index] = maskingKey[index]
                }
            }
            let body = UnsafeMutableBufferPointer(rebasing: out[headerLength...])
            let end = body.initialize(fromContentsOf: payload)
            precondition(end == length, "payload count changed while encoding")
            if let maskingKey {
                WebSocketMasking.apply(key: maskingKey, to: UnsafeMutableRawBufferPointer(body))
            }
            initialized = total
        }
    }
}
