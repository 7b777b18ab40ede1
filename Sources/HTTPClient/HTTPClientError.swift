import RelayIO

/// Why a request failed. The message names the origin and what went wrong, and is safe to log: it
/// never contains the request's path or header fields (they carry `Authorization: Bearer …`).
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which wait ran out.
    public enum TimeoutPhase: Sendable, Equatable {
        /// DNS plus the TCP connect (`connectTimeout`).
        case connect
        /// The TLS handshake (`tlsHandshakeTimeout`).
        case tlsHandshake
        /// No response byte for `readTimeout` while reading.
        case read
    }

    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The name did not resolve, or every address refused or was unreachable.
        case unreachable
        /// The TLS handshake failed (certificate, host name, protocol), or TLS broke later.
        case tls
        /// A timeout ran out.
        case timeout(TimeoutPhase)
        /// The response was not valid HTTP/1.1 or exceeded a limit (head size, field count, body size).
        case protocolError
        /// The connection closed (or was reset) before the response's head or the end of its body.
        case closedBeforeEnd
        /// The request could not be encoded (a CR or LF in a field, a bad path or method).
        case invalidRequest
        /// The client was shut down before the request started.
        case shutdown
    }

    /// What went wrong.
    public var kind: Kind
    /// A log-safe explanation.
    public var message: String

    /// An error of `kind`.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The error for a failed connection attempt.
    init(connecting origin: HTTPClientOrigin, _ error: ConnectError) {
        switch error.kind {
        case .resolve, .refused: kind = .unreachable
        case .connectTimeout: kind = .timeout(.connect)
        case .tlsTimeout: kind = .timeout(.tlsHandshake)
        case .tls: kind = .tls
        }
        message = "connecting to \(origin) failed: \(error.message)"
    }
}
