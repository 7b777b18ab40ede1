import RelayIO
import SparkUpstream

/// The loop side of one ``SparkStream``: owns the `UpstreamConversation`, turns its frames into events
/// for the ``StreamCore`` and applies the core's back-pressure decisions to the connection.
///
/// Loop-confined: every method runs on the client's event loop (the only cross-thread step is
/// handing it to `EventLoop.execute`). It holds the core weakly, so that dropping the iterator
/// releases the core, whose `deinit` cancels this driver.
// @unchecked: confined to the client's event loop: every method runs on `connection.loop` (the entry points check preconditionInEventLoop, the connection calls back there); `core` is a weak reference written only in init
final class StreamDriver: UpstreamConversationDelegate, @unchecked Sendable {
    private let connection: any UpstreamConversation
    /// The model's path on the upstream, for the diagnosis of a 404.
    private let path: String
    private weak var core: StreamCore?

    init(connection: any UpstreamConversation, path: String, core: StreamCore) {
        self.connection = connection
        self.path = path
        self.core = core
    }

    /// Connects and sends the request, unless the consumer is already gone.
    func start() {
        connection.loop.preconditionInEventLoop()
        guard core != nil else { return }
        connection.delegate = self
        connection.start()
    }

    /// Closes the WebSocket with 1000 (or aborts the HTTP request) at once; a no-op after the conversation ended.
    func cancel() {
        connection.loop.preconditionInEventLoop()
        connection.cancel()
    }

    /// Resumes reading from Spark unless the core paused it again meanwhile.
    func resumeReading() {
        connection.loop.preconditionInEventLoop()
        guard let core, !core.isReadingPaused else { return }
        connection.resumeReading()
    }

    func upstreamConversation(_ connection: any UpstreamConversation, didReceive frame: SparkResponseFrame) {
        guard let core else {
            connection.cancel()
            return
        }
        if core.deliver(SparkEvent.events(from: frame, sid: connection.sid)) {
            connection.pauseReading()
        }
    }

    func upstreamConversation(_ connection: any UpstreamConversation, didFinishWith error: SparkUpstreamError?) {
        core?.finish(error.map { [path] in SparkClientError($0, path: path) })
    }
}
