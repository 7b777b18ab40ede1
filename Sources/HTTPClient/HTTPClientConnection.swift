import RelayIO

/// One connection of an `HTTPClient`: serving one task at a time, or idle in the pool, where any
/// byte or end of stream from the server makes it unusable and closes it.
// @unchecked: confined to its event loop: every mutable member is touched only on the client's loop (channel and timer callbacks run there)
final class HTTPClientConnection: StreamChannelDelegate, @unchecked Sendable {
    let channel: StreamChannel
    let origin: HTTPClientOrigin
    /// Over TLS, whether the handshake resumed a session; `nil` for plain TCP.
    let tlsSessionResumed: Bool?
    private weak var client: HTTPClient?
    /// The task being served; `nil` while idle. Held strongly: an exchange in flight keeps itself alive.
    var task: HTTPClientTask?
    /// Closes the connection when it has been idle too long; set while pooled.
    var idleTimer: LoopTimer?

    init(transport: any Transport, origin: HTTPClientOrigin, client: HTTPClient) {
        self.channel = StreamChannel(transport: transport, loop: client.loop)
        self.origin = origin
        self.client = client
        self.tlsSessionResumed = (transport as? TLSTransport)?.sessionReused
    }

    func start() {
        channel.delegate = self
        channel.start()
    }

    /// Closes now. Over TLS a close_notify goes out first: OpenSSL marks the session of a connection
    /// freed without one as not resumable, and that session may be the one the cache offers next.
    func close() {
        if !channel.isClosed, channel.transport is TLSTransport, channel.pendingWriteBytes == 0 {
            channel.transport.shutdownWrite()
        }
        channel.close()
    }

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        if let task {
            task.connection(self, didRead: bytes)
        } else {
            // Bytes nobody asked for (a late 408, or broken framing): the connection cannot be reused.
            close()
        }
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        if let task {
            task.connectionDidReadEndOfStream(self)
        } else {
            close()
        }
    }

    func channelBecameWritable(_ channel: StreamChannel) {}

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        idleTimer?.cancel()
        idleTimer = nil
        client?.connectionClosed(self)
        task?.connection(self, didCloseWith: error)
    }
}
