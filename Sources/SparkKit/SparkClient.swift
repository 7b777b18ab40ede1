import RelayIO
import SparkUpstream

/// A client for iFlytek Spark's chat WebSocket API that streams answers as an `AsyncSequence`.
///
/// ```swift
/// let client = SparkClient(credentials: SparkCredentials(appID: "…", apiKey: "…", apiSecret: "…"))
/// for try await event in client.stream(ChatRequest(prompt: "你好")) {
///     if case .textDelta(let text) = event { print(text, terminator: "") }
/// }
/// ```
///
/// Each request opens its own signed WebSocket to Spark. Create one client and share it: it is
/// `Sendable`, and all its connections run on one serial event loop that it owns. Cancelling the
/// consuming task, or leaving the `for try await` loop early, closes the request's WebSocket at once
/// with code 1000.
public final class SparkClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: Configuration
    private let credentials: SparkCredentials
    /// The loop every connection of this client runs on.
    let loop: EventLoop
    /// The TLS client context for `wss://` (created once), or why it could not be created.
    private let tls: Result<TLSContext?, SparkClientError>

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
        if configuration.baseURL.isSecure {
            do throws(TransportError) {
                tls = .success(try TLSContext(clientWithCAFile: configuration.caFile))
            } catch {
                tls = .failure(.tls(diagnosis: "cannot set up TLS for \(configuration.baseURL.authority): \(error)"))
            }
        } else {
            tls = .success(nil)
        }
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

    /// A validated conversation for `request`, not started yet.
    func makeConnection(for request: ChatRequest) throws(SparkClientError) -> SparkConnection {
        let (model, sparkRequest) = try request.validated(against: configuration.models, appID: credentials.appID)
        let tls = try tls.get()
        return SparkConnection(credentials: credentials, model: model, endpoint: model.endpoint(on: configuration.baseURL),
                               request: sparkRequest, loop: loop, tls: tls, configuration: configuration.upstream)
    }
}
