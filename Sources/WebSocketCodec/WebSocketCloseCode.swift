/// A close status code (RFC 6455 §7.4). An open set: applications may use 3000–4999.
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit code carried in the first two bytes of a Close payload.
    public let rawValue: UInt16

    /// Wraps any raw code; use `isSendable` / `isValidReceived` to check it against §7.4.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection was fulfilled.
    public static let normalClosure = WebSocketCloseCode(rawValue: 1000)
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// 1002: protocol error.
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// 1003: a data type the endpoint cannot accept.
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// 1005: no status code was present. Never sent on the wire (§7.4.1).
    public static let noStatusReceived = WebSocketCloseCode(rawValue: 1005)
    /// 1006: closed without a Close frame. Never sent on the wire (§7.4.1).
    public static let abnormalClosure = WebSocketCloseCode(rawValue: 1006)
    /// 1007: data inconsistent with the message type (e.g. invalid UTF-8 in text).
    public static let invalidFramePayloadData = WebSocketCloseCode(rawValue: 1007)
    /// 1008: policy violation.
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// 1009: a message too big to process.
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// 1010: the client expected the server to negotiate an extension.
    public static let mandatoryExtension = WebSocketCloseCode(rawValue: 1010)
    /// 1011: the server hit an unexpected condition.
    public static let internalError = WebSocketCloseCode(rawValue: 1011)

    /// Whether this code may appear in a Close frame we send (same rule as for receiving).
    public var isSendable: Bool {
        Self.isValidReceived(rawValue)
    }

    /// RFC 6455 §7.4.1/§7.4.2 and the IANA registry: 0–999 are unused, 1004/1005/1006/1015 are reserved and
    /// MUST NOT be set in a Close frame, 1016–2999 are reserved for future protocol revisions;
    /// 1000–1003, 1007–1014 (1012–1014 registered with IANA later) and 3000–4999 are valid.
    public static func isValidReceived(_ raw: UInt16) -> Bool {
        switch raw {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String {
        String(rawValue)
    }
}
