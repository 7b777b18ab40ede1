/// The connection-level close handshake (RFC 6455 §5.5.1, §7): takes received messages and local
/// decisions, returns what the owner of the socket must do. No I/O.
///
/// States: `open` → `closing` (we sent Close, waiting for the peer's) → `closed`. When the peer closes
/// first we answer and go straight to `closed`: there is nothing left to wait for.
public struct WebSocketStateMachine: Sendable {
    /// Where the connection stands.
    public enum State: Sendable, Equatable {
        /// Data may flow both ways.
        case open
        /// We sent a Close frame and wait for the peer's; incoming data is dropped.
        case closing
        /// Both Close frames exchanged, or the connection was failed.
        case closed
    }

    /// What the owner of the socket must do next.
    public enum Action: Sendable, Equatable {
        /// Hand the message to the application.
        case deliver(WebSocketMessage)
        /// Send a Pong frame with this payload (§5.5.2: echo the Ping's application data).
        case sendPong([UInt8])
        /// Send a Close frame with this body; keep reading until the peer's Close arrives.
        case sendClose([UInt8])
        /// Send a Close frame with this body, then close the transport. `code` is what the body carries
        /// (`nil` for an empty body), for logging.
        case sendCloseAndCloseTransport(code: WebSocketCloseCode?, payload: [UInt8])
        /// Our Close was acknowledged (or the connection is already failed): close the transport.
        case closeTransport
        /// Drop the message (it arrived after we sent Close, or after the connection closed).
        case ignore
        /// Nothing to do (e.g. a second `sendClose`).
        case none
    }

    /// The current state.
    public private(set) var state: State = .open

    /// The code the peer closed with, once its Close arrived (`nil` before, or if its Close had no body).
    public private(set) var peerCloseCode: WebSocketCloseCode?

    /// A machine for an open connection (the opening handshake is done).
    public init() {}

    /// Data frames may be sent only while open (§5.5.1: none after our Close).
    public var canSendData: Bool {
        state == .open
    }

    /// Decides what to do with a message from the assembler.
    public mutating func receivedMessage(_ message: WebSocketMessage) -> Action {
        switch state {
        case .closed:
            return .ignore
        case .closing:
            guard case .close(let code, _) = message else { return .ignore }
            peerCloseCode = code
            state = .closed
            return .closeTransport
        case .open:
            switch message {
            case .ping(let payload):
                return .sendPong(payload)
            case .close(let code, _):
                // §5.5.1: answer with a Close, typically echoing the status code received.
                peerCloseCode = code
                state = .closed
                let payload = code.map { WebSocketFrameEncoder.closePayload(code: $0, reason: "") } ?? []
                return .sendCloseAndCloseTransport(code: code, payload: payload)
            case .text, .textBytes, .binary, .pong:
                return .deliver(message)
            }
        }
    }

    /// Starts the closing handshake from our side. `code` must be sendable (§7.4.1).
    public mutating func sendClose(code: WebSocketCloseCode, reason: String = "") -> Action {
        guard state == .open else { return .none }
        precondition(code.isSendable, "close code \(code.rawValue) may not be sent on the wire")
        state = .closing
        return .sendClose(WebSocketFrameEncoder.closePayload(code: code, reason: reason))
    }

    /// Fails the connection after a protocol violation (§7.1.7): send a Close with the error's code unless
    /// we already sent one, then close the transport.
    public mutating func protocolError(_ error: WebSocketProtocolError) -> Action {
        let previous = state
        state = .closed
        switch previous {
        case .open:
            let payload = WebSocketFrameEncoder.closePayload(code: error.closeCode, reason: "\(error.kind)")
            return .sendCloseAndCloseTransport(code: error.closeCode, payload: payload)
        case .closing:
            return .closeTransport
        case .closed:
            return .none
        }
    }

    /// Records that the transport went away (EOF, reset, timeout); later messages are ignored.
    public mutating func transportClosed() {
        state = .closed
    }
}
