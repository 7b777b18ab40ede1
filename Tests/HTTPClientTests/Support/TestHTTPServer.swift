import HTTPCodec
import RelayIO
import RelayTestSupport

/// A scripted HTTP/1.1 server on 127.0.0.1:0 (RelayIO listener and channels, optionally TLS with a
/// certificate made by the `openssl` CLI). Each complete request goes to `handler` as a
/// `TestExchange`, which answers with raw bytes, possibly in pieces and later (from the test
/// thread), or closes the connection. The server counts accepts, requests, and connections the
/// client ended, and tests wait on those counts instead of sleeping.
final class TestHTTPServer: StreamChannelDelegate, @unchecked Sendable {
    /// What the server saw; read through `snapshot` or `waitUntil`.
    struct Stats: Sendable {
        var accepted = 0
        var requests = 0
        /// Connections on which the client sent its FIN (or reset) first.
        var endedByClient = 0
        /// Connections closed for any reason.
        var closed = 0
        /// For TLS: whether each connection's handshake resumed a session, in handshake order.
        var tlsResumed: [Bool] = []
    }

    private final class Connection {
        let id: Int
        var parser = HTTPRequestParser()
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var requestCount = 0
        init(id: Int) { self.id = id }
    }

    private let group = EventLoopGroup(count: 1, label: "test-http-server")
    private var loop: EventLoop { group.loops[0] }
    private var listener: Listener?
    private let tls: TLSContext?
    /// Ignore every byte received (for handshake and read timeouts).
    private let mute: Bool
    private let handler: @Sendable (TestExchange) -> Void
    // Loop-confined.
    private var connections: [ObjectIdentifier: (channel: StreamChannel, state: Connection)] = [:]
    private var nextConnectionID = 0
    // Guarded by `lock`.
    private let lock = ConditionLock()
    private var stats = Stats()

    /// The port it listens on.
    private(set) var port = 0

    init(tls certificates: TestCertificates? = nil, mute: Bool = false, handler: @escaping @Sendable (TestExchange) -> Void = { _ in }) throws {
        self.tls = try certificates.map { try TLSContext(serverCertificateFile: $0.certificate, keyFile: $0.key) }
        self.mute = mute
        self.handler = handler
        let listener = try Listener(
            address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, group: group, maxConnections: 64,
            onAccept: { [weak self] socket, _, loop in self?.accepted(socket, loop: loop) },
            onOverload: { socket, _ in socket.close() },
            onError: { _ in })
        self.listener = listener
        port = listener.address.port
        listener.start()
    }

    /// The counts now.
    var snapshot: Stats { lock.withLock { stats } }

    /// Waits until `predicate` holds for the counts (at most `timeout` seconds); `false` on timeout.
    func waitUntil(timeout: Double = 10, _ predicate: (Stats) -> Bool) -> Bool {
        lock.wait(timeout: timeout) { predicate(stats) }
    }

    /// Stops listening and closes every connection.
    func stop() {
        listener?.stop()
        loop.queue.sync {
            for (channel, _) in connections.values { channel.close() }
        }
    }

    private func accepted(_ socket: Socket, loop: EventLoop) {
        lock.update { stats.accepted += 1 }
        guard let tls else { return startChannel(TCPTransport(socket: socket)) }
        do {
            let handshake = try TLSHandshake(socket: socket, context: tls, serverName: nil, loop: loop)
            handshake.start(timeout: 10) { [self] result in
                switch result {
                case .success(let transport):
                    lock.update { stats.tlsResumed.append(transport.sessionReused) }
                    startChannel(transport)
                case .failure:
                    lock.update { stats.closed += 1 }
                }
            }
        } catch {
            socket.close()
            lock.update { stats.closed += 1 }
        }
    }

    private func startChannel(_ transport: any Transport) {
        let channel = StreamChannel(transport: transport, loop: loop, highWatermark: 1 << 30)
        channel.delegate = self
        connections[ObjectIdentifier(channel)] = (channel, Connection(id: nextConnectionID))
        nextConnectionID += 1
        channel.start()
    }

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        guard !mute, let connection = connections[ObjectIdentifier(channel)]?.state else { return }
        connection.parser.append(bytes)
        do {
            while let part = try connection.parser.next() {
                switch part {
                case .head(let head):
                    connection.head = head
                    connection.body = []
                case .body(let bytes):
                    connection.body += bytes
                case .end:
                    guard let head = connection.head else { continue }
                    let exchange = TestExchange(head: head, body: connection.body, connectionID: connection.id,
                                                indexOnConnection: connection.requestCount, channel: channel, loop: loop)
                    connection.requestCount += 1
                    lock.update { stats.requests += 1 }
                    handler(exchange)
                }
            }
        } catch {
            channel.close()
        }
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        lock.update { stats.endedByClient += 1 }
        channel.close()
    }

    func channelBecameWritable(_ channel: StreamChannel) {}

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        guard connections.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
        if let error, error.isDisconnect { lock.update { stats.endedByClient += 1 } }
        lock.update { stats.closed += 1 }
        listener?.connectionClosed()
    }
}

/// One request the test server received, and the way to answer it from any thread. Answers are
/// written on the server's loop in the order they are made.
final class TestExchange: Sendable {
    /// The request head as parsed by the server.
    let head: HTTPRequestHead
    /// The request body.
    let body: [UInt8]
    /// Which accepted connection (0, 1, …) the request came on.
    let connectionID: Int
    /// 0 for the first request on its connection, 1 for the second, …
    let indexOnConnection: Int
    private let channel: StreamChannel
    private let loop: EventLoop

    init(head: HTTPRequestHead, body: [UInt8], connectionID: Int, indexOnConnection: Int, channel: StreamChannel, loop: EventLoop) {
        self.head = head
        self.body = body
        self.connectionID = connectionID
        self.indexOnConnection = indexOnConnection
        self.channel = channel
        self.loop = loop
    }

    /// Writes raw bytes.
    func send(_ bytes: [UInt8]) {
        let channel = self.channel
        loop.execute { channel.write(bytes) }
    }

    /// Writes text as UTF-8.
    func send(_ text: String) {
        send(Array(text.utf8))
    }

    /// Closes the connection at once (after what was sent before has been handed to the kernel).
    func close() {
        let channel = self.channel
        loop.execute { channel.close() }
    }

    /// Output the kernel has not taken yet (it grows while the client does not read).
    var pendingWriteBytes: Int {
        let channel = self.channel
        return loop.queue.sync { channel.pendingWriteBytes }
    }
}
