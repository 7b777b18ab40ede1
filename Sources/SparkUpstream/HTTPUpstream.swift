import HTTPClient
import RelayIO
import SparkCodec
import Synchronization

/// Spark's OpenAI-style HTTP API: each model's HTTP path on `base`, requests on keep-alive
/// connections pooled per event loop (a conversation and its connection live on one loop, so the
/// pool needs no lock on the hot path; the map from loop to pool is read once per conversation).
public final class HTTPUpstream: Upstream {
    /// `upstream.spark_http_base_url`.
    public let base: SparkHTTPBase
    /// Required for `https://`.
    public let tls: TLSContext?
    public let configuration: SparkUpstreamConfiguration
    private let clientConfiguration: HTTPClientConfiguration
    private let clients = Mutex<[ObjectIdentifier: HTTPClient]>([:])

    /// Creates the upstream; `client` bounds the idle pool of each loop.
    public init(base: SparkHTTPBase, tls: TLSContext?, configuration: SparkUpstreamConfiguration,
                client: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.base = base
        self.tls = tls
        self.configuration = configuration
        var client = client
        client.connectTimeout = configuration.connectTimeout
        client.tlsHandshakeTimeout = configuration.handshakeTimeout
        // The conversation enforces Spark's first-frame and idle timeouts itself (paused while a
        // slow reader catches up); the client's own read timeout only backs them up.
        client.readTimeout = max(configuration.firstFrameTimeout, configuration.idleTimeout) + configuration.connectTimeout + configuration.handshakeTimeout
        self.clientConfiguration = client
    }

    public var sparkProtocol: SparkProtocol { .http }

    public func endpointDescription(for model: SparkModel) -> String {
        "\(base)\(model.httpPath)"
    }

    public func path(for model: SparkModel) -> String {
        model.httpPath
    }

    public func makeConversation(for request: UpstreamChatRequest, credentials: SparkCredentials, loop: EventLoop,
                                 defaultUID: String?) -> any UpstreamConversation {
        SparkHTTPConversation(credentials: credentials, model: request.model, base: base, request: request.httpRequest(),
                              client: client(for: loop), configuration: configuration, extraHeaders: request.propagationHeaderFields)
    }

    /// The pool of `loop`, made on first use.
    func client(for loop: EventLoop) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[ObjectIdentifier(loop)] { return client }
            let client = HTTPClient(loop: loop, tls: tls, configuration: clientConfiguration)
            clients[ObjectIdentifier(loop)] = client
            return client
        }
    }

    public func shutdown() {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for client in all {
            client.loop.execute { client.shutdown() }
        }
    }
}
