import RelayIO
import SparkCodec

/// Spark's signed WebSocket: one connection per conversation, the model's path on `base`.
public struct WebSocketUpstream: Upstream {
    /// Scheme, host and port every model path goes to (`upstream.spark_base_url`).
    public let base: SparkEndpoint
    /// Required for `wss://`.
    public let tls: TLSContext?
    public let configuration: SparkUpstreamConfiguration
    /// One signature per credential, endpoint and second, shared by this upstream's conversations.
    public let signedURLs = SignedURLCache()

    /// Creates the upstream.
    public init(base: SparkEndpoint, tls: TLSContext?, configuration: SparkUpstreamConfiguration) {
        self.base = base
        self.tls = tls
        self.configuration = configuration
    }

    public var sparkProtocol: SparkProtocol { .websocket }

    public func endpointDescription(for model: SparkModel) -> String {
        "\(model.endpoint(on: base))"
    }

    public func path(for model: SparkModel) -> String {
        model.path
    }

    public func makeConversation(for request: UpstreamChatRequest, credentials: SparkCredentials, loop: EventLoop,
                                 defaultUID: String?) -> any UpstreamConversation {
        SparkWebSocketConversation(credentials: credentials, model: request.model, endpoint: request.model.endpoint(on: base),
                                   request: request.webSocketRequest(appID: credentials.appID, defaultUID: defaultUID),
                                   loop: loop, tls: tls, configuration: configuration, signedURLs: signedURLs,
                                   extraHeaders: request.propagationHeaderFields)
    }

    public func shutdown() {}
}
