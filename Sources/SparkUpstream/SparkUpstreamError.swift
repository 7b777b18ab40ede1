import SparkCodec

/// Why a Spark conversation failed, with a diagnosis an operator can act on. Never contains the API
/// secret, the signature or the signed URL.
public struct SparkUpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which timeout fired.
    public enum Phase: String, Sendable, Equatable {
        case connect, handshake, firstFrame = "first_frame", idle
    }

    public enum Kind: Sendable, Equatable {
        /// DNS failed, or the connection was refused or unreachable.
        case unreachable
        /// TLS failed (certificate, host name, protocol).
        case tls
        /// HTTP 401 on the upgrade: signature or API key wrong.
        case unauthorized
        /// HTTP 403 because the request date is too far from the upstream's clock.
        case clockSkew(seconds: Int?)
        /// HTTP 403 for another reason (IP allow-list).
        case forbidden
        /// HTTP 404 on the upgrade: wrong path for the model.
        case notFound
        /// Another non-101 upgrade answer.
        case handshakeFailed(status: Int)
        /// A timeout.
        case timeout(Phase)
        /// Spark answered with an error frame (its own integer code).
        case spark(code: Int)
        /// The upstream broke the WebSocket protocol or sent an oversize message.
        case protocolError
        /// A frame that is not a valid Spark frame.
        case malformedFrame
        /// The socket closed before the last frame (`status` 2).
        case closedBeforeEnd
    }

    public var kind: Kind
    /// The diagnosis (safe to show to clients and to log).
    public var message: String
    /// Spark's session id, when one was seen.
    public var sid: String?

    public init(kind: Kind, message: String, sid: String? = nil) {
        self.kind = kind
        self.message = message
        self.sid = sid
    }

    public var description: String { message }

    /// The relay's string error code (Spark's own failures use their integer code instead).
    public var relayCode: String {
        switch kind {
        case .unreachable: return "upstream_unreachable"
        case .tls: return "upstream_tls_error"
        case .unauthorized: return "upstream_unauthorized"
        case .clockSkew: return "upstream_clock_skew"
        case .forbidden: return "upstream_forbidden"
        case .notFound: return "upstream_not_found"
        case .handshakeFailed: return "upstream_handshake_failed"
        case .timeout(let phase): return "upstream_timeout_\(phase.rawValue)"
        case .spark(let code): return String(code)
        case .protocolError: return "upstream_protocol_error"
        case .malformedFrame: return "upstream_malformed_frame"
        case .closedBeforeEnd: return "upstream_closed"
        }
    }

    /// The HTTP status for this failure when no byte was sent downstream yet.
    public var httpStatus: Int {
        switch kind {
        case .timeout: return 504
        case .spark(let code): return SparkErrorCode.info(for: code).httpStatus
        default: return 502
        }
    }

    /// Spark's integer code, when the failure is Spark's own error frame.
    public var sparkCode: Int? {
        if case .spark(let code) = kind { return code }
        return nil
    }
}
