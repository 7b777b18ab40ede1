import RelayIO
import SparkUpstream

/// A client for iFlytek Spark's chat APIs — the signed WebSocket, or the OpenAI-style HTTP API for
/// models whose `upstreamProtocol` is `.http` — that streams answers as an `AsyncSequence`.
///
/// ```swift
/// let client = SparkClient(credentials: SparkCredentials(appID: "…", apiKey: "…", apiSecret: "…"))
/// for try await event in client.stream(ChatRequest(prompt: "你好")) {
///     if case .textDelta(let text) = event { print(text, terminator: "") }
/// }
/// ```
///
/// Each request opens its own signed WebSocket to Spark (or a `POST` on a pooled keep-alive HTTP
/// connection). Create one client and share it: it is `Sendable`, and all its connections run on
/// one serial event loop that it owns. Cancelling the consuming task, or leaving the `for try
/// await` loop early, closes the request's WebSocket with code 1000 (or aborts the HTTP request) at
/// once.
public final class SparkClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: Configuration
    private let credentials: SparkCredentials
    /// The loop every connection of this client runs on.
    let loop: EventLoop
    /// The upstream of each protocol, or why TLS could not be set up for it.
    private let webSocket: Result<WebSocketUpstream, SparkClientError>
    private let http: Result<HTTPUpstream, SparkClientError>

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - credentials: The app's APPID, APIKey and APISecret from the iFlytek console. The secret is
    ///     used only to sign each connection's URL and never appears in errors.
    ///   - configuration: Gateway, models, timeouts and limits.
    public init(credentials: SparkCredentials, configuration: Configuration = .init()) {
        self.credentials = credentials
        self.configuration = configuration
        self.loop = EventLoop(index: 0, label: "SparkKit.client")
        let base = configuration.baseURL
        let httpBase = configuration.httpBaseURL
        let caFile = configuration.caFile
        func context(_ secure: Bool, _ authority: String) -> Result<TLSContext?, SparkClientError> {
            guard secure else { return .success(nil) }
            do throws(TransportError) {
                return .success(try TLSContext(clientWithCAFile: caFile))
            } catch {
                return .failure(.tls(diagnosis: "cannot set up TLS for \(authority): \(error)"))
            }
        }
        webSocket = context(base.isSecure, base.authority).map { WebSocketUpstream(base: base, tls: $0, configuration: configuration.upstream) }
        http = context(httpBase.isSecure, httpBase.authority).map { HTTPUpstream(base: httpBase, tls: $0, configuration: configuration.upstream) }
    }

    deinit {
        if case .success(let http) = http { http.shutdown() }
    }

    /// Streams the answer to `request`.
    ///
    /// Nothing happens until the sequence is iterated: the first `next()` validates the request,
    /// connects and sends it. The sequence ends after ``SparkEvent/done(sid:usage:)`` or throws a
    /// ``SparkClientError``. A consumer slower than Spark is back-pressured: at most
    /// ``Configuration/bufferLimit`` events wait for it.
    ///
    /// - Parameter request: The chat request.
    /// - Returns: A single-pass sequence of the answer's events.
    public func stream(_ request: ChatRequest) -> SparkStream {
        SparkStream(client: self, request: request)
    }

    /// Waits for the whole answer to `request`.
    ///
    /// - Parameter request: The chat request.
    /// - Returns: The answer text, reasoning, function call, usage and sid.
    /// - Throws: ``SparkClientError`` when the request is invalid, the connection fails, Spark answers
    ///   with an error, or the task is cancelled.
    public func complete(_ request: ChatRequest) async throws(SparkClientError) -> ChatResult {
        var result = ChatResult()
        for try await event in stream(request) {
            result.append(event)
        }
        return result
    }

    /// A validated conversation for `request` on the model's protocol, not started yet, and the
    /// path it goes to (named by a 404's diagnosis).
    func makeConversation(for request: ChatRequest) throws(SparkClientError) -> (any UpstreamConversation, path: String) {
        var upstreamRequest = try request.validated(against: configuration.models)
        if let forced = configuration.upstreamProtocol { upstreamRequest.model.upstreamProtocol = forced }
        let upstream: any Upstream = switch upstreamRequest.model.upstreamProtocol {
        case .websocket: try webSocket.get()
        case .http: try http.get()
        }
        let model = upstreamRequest.model
        let conversation = upstream.makeConversation(for: upstreamRequest, credentials: credentials, loop: loop, defaultUID: nil)
        return (conversation, upstream.path(for: model))
    }
}
