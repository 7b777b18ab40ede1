import SparkCodec

/// A fault the simulator injected into an answer because the prompt asked for it (`SimulatorDirectives`).
public enum SimulatorFault: Sendable, Hashable {
    /// `[[error:CODE]]` / `[[error:CODE@N]]`: an error frame with this code.
    case errorFrame(code: Int)
    /// `[[drop@N]]`: the TCP connection was closed without a Close frame.
    case drop
    /// `[[stall@N]]`: the simulator stopped sending and waited for the client to close.
    case stall
}

/// How a simulator connection ended. For an HTTP API connection whose client closes it (or lets it
/// time out) between requests, the end is the outcome of its last exchange: `completed`,
/// `faultInjected`, `rejected` (HTTP status) or `requestError` (Spark code); a client that closes
/// mid-answer is `clientClosed(code: nil, closeFrameReceived: false)`.
public enum SimulatorConnectionEnd: Sendable, Hashable {
    /// The whole answer was sent (last frame `status` 2), then a Close frame with code 1000.
    case completed
    /// The client ended the connection first: with a Close frame carrying `code` (`nil` when the frame had
    /// no body), or, with `code` `nil` as well, by closing or resetting TCP without a Close frame.
    /// `closeFrameReceived` tells the two `nil` cases apart.
    case clientClosed(code: UInt16?, closeFrameReceived: Bool)
    /// An injected fault ended it (error frame then Close 1000, or a drop). A stall ends with `clientClosed`.
    case faultInjected(SimulatorFault)
    /// The upgrade was refused with this HTTP status (404, 401, 403, 400, 426, 431, …).
    case rejected(Int)
    /// The request message was refused with an error frame carrying this code (10003/10004/10005/10907,
    /// 11200 for an `app_id` that does not belong to the signing key, 10007 for a second request), then Close 1000.
    case requestError(code: Int)
    /// No request arrived within `requestTimeout` (or the upgrade request was not complete by then).
    case timedOut
    /// The client broke the WebSocket protocol; the simulator closed with this code (e.g. 1002, 1009).
    case protocolError(closeCode: UInt16)
    /// The TLS handshake failed or timed out.
    case tlsFailed
    /// A socket error other than a disconnect.
    case transportError(String)
    /// `SimulatorServer.stop()` closed the connection.
    case serverStopped

    /// Shorthand matching `.clientClosed` by code only, whatever `closeFrameReceived` is.
    public static func clientClosed(code: UInt16?) -> SimulatorConnectionEnd {
        .clientClosed(code: code, closeFrameReceived: code != nil)
    }
}

/// One finished connection, as recorded when its end was detected.
public struct SimulatorConnectionRecord: Sendable, Equatable {
    /// Sequence number of the connection in this server (from 1).
    public var id: Int
    /// The request path of the upgrade, once parsed.
    public var path: String?
    /// The answer's sid, once a request was accepted or refused with an error frame.
    public var sid: String?
    /// The prompt (last user message) with directives removed, once a request was accepted.
    public var prompt: String?
    /// The fault the prompt asked for, if any.
    public var fault: SimulatorFault?
    /// How it ended.
    public var end: SimulatorConnectionEnd
    /// Data messages (frames of the answer, error frames included) sent.
    public var framesSent: Int
    /// Pongs received (answers to `[[ping]]`).
    public var pongsReceived: Int
    /// Over TLS: the client resumed an earlier session (no certificate was sent).
    public var tlsResumed: Bool = false
    /// The protocol the client spoke: `.websocket`, or `.http` for Spark's HTTP API.
    public var sparkProtocol: SparkProtocol = .websocket
    /// HTTP API requests read on this connection (keep-alive serves several); 0 for WebSocket.
    /// `path`, `sid`, `prompt` and `fault` describe the last of them, `framesSent` counts the SSE
    /// events (not `[DONE]`) or bodies of all of them.
    public var httpRequests: Int = 0
    /// When the socket was accepted (monotonic).
    public var startedAt: ContinuousClock.Instant
    /// When the end was detected (monotonic): for `clientClosed`, the moment the client's Close frame or
    /// TCP close was read.
    public var endedAt: ContinuousClock.Instant
}
