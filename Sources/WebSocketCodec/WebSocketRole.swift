/// Which end of the connection this codec speaks for; decides masking (RFC 6455 §5.1).
public enum WebSocketRole: Sendable {
    /// We are the client: frames we receive must be unmasked, frames we send must be masked.
    case client
    /// We are the server: frames we receive must be masked, frames we send must not be.
    case server
}
