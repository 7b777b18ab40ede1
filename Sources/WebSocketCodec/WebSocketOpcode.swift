/// A frame opcode (RFC 6455 §5.2): an open set, so unknown values can be represented and rejected.
public struct WebSocketOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 4-bit opcode value (0x0–0xF).
    public let rawValue: UInt8

    /// Wraps a raw opcode; only the low four bits are meaningful on the wire.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// `0x0`: continues a fragmented data message.
    public static let continuation = WebSocketOpcode(rawValue: 0x0)
    /// `0x1`: a text frame (UTF-8 payload).
    public static let text = WebSocketOpcode(rawValue: 0x1)
    /// `0x2`: a binary frame.
    public static let binary = WebSocketOpcode(rawValue: 0x2)
    /// `0x8`: connection close.
    public static let close = WebSocketOpcode(rawValue: 0x8)
    /// `0x9`: ping.
    public static let ping = WebSocketOpcode(rawValue: 0x9)
    /// `0xA`: pong.
    public static let pong = WebSocketOpcode(rawValue: 0xA)

    /// Control frames have the most significant opcode bit set (RFC 6455 §5.5).
    public var isControl: Bool {
        rawValue & 0x8 != 0
    }

    /// `true` for the six opcodes RFC 6455 defines; 0x3–0x7 and 0xB–0xF are reserved.
    public var isKnown: Bool {
        switch rawValue {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: true
        default: false
        }
    }

    public var description: String {
        switch rawValue {
        case 0x0: "continuation"
        case 0x1: "text"
        case 0x2: "binary"
        case 0x8: "close"
        case 0x9: "ping"
        case 0xA: "pong"
        default: "reserved(0x\(String(rawValue, radix: 16)))"
        }
    }
}
