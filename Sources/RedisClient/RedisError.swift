import RESPCodec
import RelayIO

/// Why a command got no reply value. Messages name the server (`host:port`), never a password or
/// command arguments.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What happened; callers match on this.
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error reply (`-ERR …`, `!…`); the message is the reply's text.
        /// The connection is fine.
        case server
        /// No reply within the command's timeout; the connection was closed (a late reply could not
        /// be matched any more) and is being re-established.
        case timeout
        /// The connection is down and waiting to reconnect (backoff); the command was not sent.
        case unavailable
        /// The connection broke after the command was sent: it may or may not have run.
        case connectionLost
        /// Resolving, connecting or the TLS handshake failed.
        case connect(ConnectError.Kind)
        /// `HELLO 3 AUTH` was refused (wrong password or user, or a password is required).
        case authentication
        /// `HELLO` or `SELECT` failed for another reason (RESP2-only server, bad database index).
        case handshake
        /// The server sent bytes that are not RESP3, or a reply over the decoder's limits.
        case protocolViolation(RESPDecodingErrorKind)
        /// `maxInFlight` commands are already waiting; the command was not sent.
        case tooManyInFlight
        /// The client was closed by its owner.
        case closed
    }

    /// The codec's error kind, re-exported so callers need not import RESPCodec.
    public typealias RESPDecodingErrorKind = RESPDecodingError.Kind

    /// What happened.
    public var kind: Kind
    /// Human-readable detail, safe to log.
    public var message: String

    /// Creates an error of `kind`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
