import RelayIO
import WebSocketCodec

/// Why a WebSocket client connection failed. Never contains the request target (a signed URL's
/// query is a credential).
public struct WebSocketClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// DNS, TCP connect or TLS failed before any HTTP was exchanged.
        case connect(ConnectError.Kind)
        /// The server answered the upgrade with another status (401, 403, 404 …).
        case handshakeRejected(status: Int)
        /// The server's 101 response was not a valid WebSocket acceptance.
        case handshakeInvalid
        /// The handshake did not complete in time.
        case handshakeTimeout
        /// The peer broke RFC 6455; we closed with the matching code.
        case protocolViolation(WebSocketCloseCode)
        /// The connection failed after it was open (reset, TLS error).
        case transport
        /// The peer closed the TCP connection without a Close frame.
        case closedWithoutClose
    }

    public var kind: Kind
    public var message: String
    /// For `handshakeRejected`: the response body (Spark's JSON), at most a few KiB.
    public var responseBody: [UInt8]
    /// For `handshakeRejected`: the response's `Date` header, to measure clock skew.
    public var responseDate: String?

    public init(kind: Kind, message: String, responseBody: [UInt8] = [], responseDate: String? = nil) {
        self.kind = kind
        self.message = message
        self.responseBody = responseBody
        self.responseDate = responseDate
    }

    public var description: String { message }
}
