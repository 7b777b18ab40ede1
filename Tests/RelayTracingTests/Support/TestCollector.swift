import HTTPCodec
import RelayIO

/// A minimal OTLP/HTTP collector on 127.0.0.1:0 for the exporter's tests: it parses each request
/// with the project's HTTP parser, keeps its head and body, and answers as `behaviour` says (a
/// status, or nothing at all to play a stalled collector). Tests wait on what it received instead
/// of sleeping.
final class TestCollector: StreamChannelDelegate, @unchecked Sendable {
    /// How the collector answers each request.
    enum Behaviour: Sendable {
        /// `status` with an empty JSON object body.
        case answer(status: Int)
        /// Never answers (keeps the connection open).
        case stall
    }

    /// One request as received.
    struct Request: Sendable {
        var head: HTTPRequestHead
        var body: [UInt8]
    }

    private final class Connection {
        var parser = HTTPRequestParser()
        var head: HTTPRequestHead?
        var body: [UInt8] = []
    }

    private let group = EventLoopGroup(count: 1, label: "test-otlp-collector")
    private var loop: EventLoop { group.loops[0] }
    private var listener: Listener?
    private let behaviour: Behaviour
    // Loop-confined.
    private var connections: [ObjectIdentifier: (channel: StreamChannel, state: Connection)] = [:]
    // Guarded by `lock`.
    private let lock = ConditionLock()
    private var received: [Request] = []

    /// The port it listens on.
    private(set) var port = 0

    init(behaviour: Behaviour = .answer(status: 200)) throws {
        self.behaviour = behaviour
        let listener = try Listener(
            address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, group: group, maxConnections: 64,
            onAccept: { [weak self] socket, _, _ in self?.accepted(socket) },
            onOverload: { socket, _ in socket.close() },
            onError: { _ in })
        self.listener = listener
        port = listener.address.port
        listener.start()
    }

    /// The requests received so far.
    var requests: [Request] { lock.withLock { received } }

    /// Waits until `predicate` holds for the requests (at most `timeout` seconds); `false` on timeout.
    func waitUntil(timeout: Double = 10, _ predicate: ([Request]) -> Bool) -> Bool {
        lock.wait(timeout: timeout) { predicate(received) }
    }

    /// Stops listening and closes every connection.
    func stop() {
        listener?.stop()
        loop.queue.sync {
            for (channel, _) in connections.values { channel.close() }
        }
    }

    private func accepted(_ socket: Socket) {
        let channel = StreamChannel(transport: TCPTransport(socket: socket), loop: loop, highWatermark: 1 << 20)
        channel.delegate = self
        connections[ObjectIdentifier(channel)] = (channel, Connection())
        channel.start()
    }

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        guard let connection = connections[ObjectIdentifier(channel)]?.state else { return }
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
                    let request = Request(head: head, body: connection.body)
                    lock.update { received.append(request) }
                    if case .answer(let status) = behaviour {
                        channel.write(Array("HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".utf8))
                    }
                }
            }
        } catch {
            channel.close()
        }
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        channel.close()
    }

    func channelBecameWritable(_ channel: StreamChannel) {}

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        guard connections.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
        listener?.connectionClosed()
    }
}
