import RelayIO
import SparkCodec

/// Events of an `UpstreamConversation`, on its event loop.
public protocol UpstreamConversationDelegate: AnyObject {
    /// One response frame, in upstream order; the last one has `isLast == true`.
    func upstreamConversation(_ conversation: any UpstreamConversation, didReceive frame: SparkResponseFrame)
    /// The conversation is over: after the last frame (success) or on any failure. Called once, and
    /// never after `cancel()`.
    func upstreamConversation(_ conversation: any UpstreamConversation, didFinishWith error: SparkUpstreamError?)
}

/// One Spark conversation on an event loop, whatever the protocol: it sends one chat request and
/// reports Spark's answer as `SparkResponseFrame`s (the WebSocket's own frames, or the HTTP API's
/// chunks decoded into the same shape), then the end or a diagnosed failure. Everything above this
/// protocol — chat streams, the credential pool, failover, replay, both client APIs — is the same
/// for every sibling: `SparkWebSocketConversation` and `SparkHTTPConversation`.
public protocol UpstreamConversation: AnyObject, Sendable {
    /// The loop every call and callback happens on.
    var loop: EventLoop { get }
    /// Receives the frames and the end.
    var delegate: (any UpstreamConversationDelegate)? { get set }
    /// Where the conversation goes, for logs: scheme, host, port and path, never a signature or secret.
    var endpointDescription: String { get }
    /// Spark's session id, once a frame carried it.
    var sid: String? { get }
    /// `true` after the last frame arrived.
    var isComplete: Bool { get }
    /// Connect, TLS and the protocol's handshake (WebSocket upgrade, HTTP response head), in
    /// nanoseconds, once done.
    var handshakeNanoseconds: UInt64? { get }
    /// Over TLS, whether the handshake resumed an earlier session; `nil` without TLS or before it.
    var tlsSessionResumed: Bool? { get }
    /// Connects and sends the request. Call on the loop, once.
    func start()
    /// Stops reading (the downstream client is slow) until `resumeReading()`; the idle timeout is
    /// suspended meanwhile.
    func pauseReading()
    /// Resumes after `pauseReading()`.
    func resumeReading()
    /// Abandons the conversation at once (WebSocket close 1000, HTTP request aborted); no more
    /// delegate calls.
    func cancel()
}
