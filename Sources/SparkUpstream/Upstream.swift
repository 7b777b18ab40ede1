import RelayIO
import SparkCodec

/// One way of talking to Spark — its signed WebSocket (`WebSocketUpstream`) or its OpenAI-style
/// HTTP API (`HTTPUpstream`) — as a maker of conversations. The relay holds one per protocol and
/// picks by the model's `upstreamProtocol`; nothing above this protocol branches on which it is.
public protocol Upstream: Sendable {
    /// The protocol this upstream speaks.
    var sparkProtocol: SparkProtocol { get }
    /// Where `model`'s conversations go, for logs and `check` (never signed, never a secret).
    func endpointDescription(for model: SparkModel) -> String
    /// The path `model`'s conversations go to on this upstream.
    func path(for model: SparkModel) -> String
    /// A conversation for `request` on `loop`, authenticated with `credentials` (not started).
    func makeConversation(for request: UpstreamChatRequest, credentials: SparkCredentials, loop: EventLoop,
                          defaultUID: String?) -> any UpstreamConversation
    /// Closes what the upstream keeps open between conversations (idle keep-alive connections).
    func shutdown()
}
