/// Why an opening handshake (RFC 6455 §4) was refused, on either side.
///
/// Client side (`validateServerResponse`): `httpStatus` is the status the server sent for
/// `.unexpectedStatus`, otherwise `nil`. Server side (`validateClientRequest`): `httpStatus` is the status
/// to answer with (400, or 426 plus `responseHeaders` for a version mismatch).
public struct WebSocketHandshakeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; tests and callers match on this.
    public enum Kind: Sendable, Equatable {
        /// Client: the server answered with something other than 101 (§4.1 step 1).
        case unexpectedStatus(Int)
        /// Upgrade header missing or not `websocket` (§4.1 step 2, §4.2.1 item 3).
        case missingUpgrade
        /// Connection header missing or without the `Upgrade` token (§4.1 step 3, §4.2.1 item 4).
        case missingConnectionUpgrade
        /// Client: `Sec-WebSocket-Accept` missing.
        case missingAccept
        /// Client: `Sec-WebSocket-Accept` does not match our key (§4.1 step 4).
        case acceptMismatch
        /// Client: the server chose an extension we did not offer (§4.1 step 5).
        case unrequestedExtension(String)
        /// Client: the server chose a subprotocol we did not offer (§4.1 step 6).
        case unrequestedSubprotocol(String)
        /// Server: the method is not GET (§4.2.1 item 1).
        case methodNotGet(String)
        /// Server: the request is not HTTP/1.1 (§4.2.1 item 1).
        case unsupportedHTTPVersion(String)
        /// Server: no Host header (§4.2.1 item 2).
        case missingHost
        /// Server: `Sec-WebSocket-Key` missing, repeated, or not base64 of 16 bytes (§4.2.1 item 5).
        case invalidKey
        /// Server: `Sec-WebSocket-Version` missing or not 13 (§4.2.1 item 6, §4.2.2).
        case unsupportedVersion(String?)
    }

    /// What went wrong.
    public var kind: Kind
    /// See the type's documentation.
    public var httpStatus: Int?
    /// Human-readable detail, safe to log (never contains header values that could be secrets).
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, httpStatus: Int?, _ message: String) {
        self.kind = kind
        self.httpStatus = httpStatus
        self.message = message
    }

    /// Headers a server must add to its error response: `Sec-WebSocket-Version: 13` on a version
    /// mismatch (§4.2.2 item 4), nothing otherwise.
    public var responseHeaders: [(String, String)] {
        if case .unsupportedVersion = kind {
            return [("Sec-WebSocket-Version", WebSocketHandshake.version)]
        }
        return []
    }

    public var description: String {
        if let httpStatus {
            return "WebSocket handshake failed (\(kind), HTTP \(httpStatus)): \(message)"
        }
        return "WebSocket handshake failed (\(kind)): \(message)"
    }
}
