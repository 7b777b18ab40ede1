import HTTPCodec
import SparkCodec
import RelayIO

/// The connection's side of a `ResponseWriter`.
protocol ResponseSink: AnyObject {
    func writer(_ writer: ResponseWriter, respond response: HTTPResponse)
    func writer(_ writer: ResponseWriter, startStreamWith status: HTTPStatus, headers: HTTPHeaders)
    func writer(_ writer: ResponseWriter, writeChunk bytes: [UInt8])
    func writer(_ writer: ResponseWriter, writeFramed chunk: FramedChunk)
    var writerIsChunked: Bool { get }
    func writerFinishStream(_ writer: ResponseWriter)
    func writerAbandon(_ writer: ResponseWriter)
    var writerIsWritable: Bool { get }
}

/// How a handler answers one request, on the connection's event loop: either one complete response,
/// or a streamed one (head flushed at once, then chunks, each written to the socket immediately).
/// The connection picks the framing: chunked for HTTP/1.1, close-delimited for HTTP/1.0.
// @unchecked: confined to `loop` (its connection's); streams on other loops hop there before writing.
public final class ResponseWriter: @unchecked Sendable {
    /// The loop to call the writer on.
    public let loop: EventLoop
    /// `true` for HEAD requests: bodies are not sent.
    public let isHEAD: Bool
    weak var sink: (any ResponseSink)?

    enum State { case pending, streaming, finished }
    private(set) var state = State.pending

    /// Called when the output buffer drained after `isWritable` was false.
    public var onWritable: (() -> Void)?
    /// Called once when the client is gone (connection closed or reset). Streams cancel their work here.
    public var onClientGone: (() -> Void)?
    /// `true` once the client went away.
    public private(set) var isClientGone = false
    /// The named key the request was made with (set by the client gate), for the access log and metrics.
    public var keyName: String?
    /// The upstream protocol of the chat stream this response reads (for the access log).
    public var upstreamProtocol: SparkProtocol?

    init(loop: EventLoop, isHEAD: Bool, sink: any ResponseSink) {
        self.loop = loop
        self.isHEAD = isHEAD
        self.sink = sink
    }

    /// `true` while the response has not started.
    public var isPending: Bool { state == .pending }

    /// `true` between `startStream` and `finish`.
    public var isStreaming: Bool { state == .streaming }

    /// Sends a complete response. Ignored after the response started.
    public func respond(_ response: HTTPResponse) {
        loop.preconditionInEventLoop()
        guard state == .pending else { return }
        state = .finished
        connection()?.writer(self, respond: response)
    }

    /// Sends an error response.
    public func respond(_ error: APIError) {
        respond(error.response)
    }

    /// Writes and flushes the response head; the body follows through `write(_:)`.
    public func startStream(status: HTTPStatus = .ok, headers: HTTPHeaders) {
        loop.preconditionInEventLoop()
        guard state == .pending else { return }
        state = .streaming
        connection()?.writer(self, startStreamWith: status, headers: headers)
    }

    /// Writes one body chunk to the socket now. Check `isWritable` to respect back-pressure.
    public func write(_ bytes: [UInt8]) {
        loop.preconditionInEventLoop()
        guard state == .streaming, !bytes.isEmpty else { return }
        connection()?.writer(self, writeChunk: bytes)
    }

    /// Writes one body chunk built with its chunked framing (see `isChunked`).
    public func write(_ chunk: FramedChunk) {
        loop.preconditionInEventLoop()
        guard state == .streaming, !chunk.body.isEmpty else { return }
        connection()?.writer(self, writeFramed: chunk)
    }

    /// `true` while streaming a body with HTTP/1.1 chunked framing: `write(_: FramedChunk)` then
    /// saves a copy per chunk.
    public var isChunked: Bool { state == .streaming && (sink?.writerIsChunked ?? false) }

    /// `false` while the client's output buffer is over its bound: stop producing until `onWritable`.
    public var isWritable: Bool { sink?.writerIsWritable ?? false }

    /// Ends a streamed response.
    public func finish() {
        loop.preconditionInEventLoop()
        guard state == .streaming else { return }
        state = .finished
        connection()?.writerFinishStream(self)
    }

    /// Gives the response up because its client is gone (`isClientGone`): the connection closes
    /// without it (or after the part already sent). Ignored once the response ended.
    func abandon() {
        loop.preconditionInEventLoop()
        guard state != .finished else { return }
        state = .finished
        sink?.writerAbandon(self)
    }

    /// The connection, or `nil` once it is gone: a writer can outlive its connection (a handler
    /// answering after the socket closed), and then its client is reported gone, not ignored.
    private func connection() -> (any ResponseSink)? {
        if let sink { return sink }
        notifyClientGone()
        return nil
    }

    func notifyWritable() {
        onWritable?()
    }

    func notifyClientGone() {
        guard !isClientGone else { return }
        isClientGone = true
        let callback = onClientGone
        onClientGone = nil
        onWritable = nil
        callback?()
    }
}
