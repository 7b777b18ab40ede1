import HTTPCodec
import RelayBenchCore
import RelayIO
import Synchronization

/// A minimal OTLP/HTTP trace collector for the `tracing` scenario, on 127.0.0.1 (an ephemeral port)
/// and an event loop of its own, so that it never shares a loop with the bench's clients: it reads
/// each HTTP/1.1 request (keep-alive; a Content-Length or chunked body), answers `200` with
/// `Content-Type: application/json` and the body `{}`, and counts requests, body bytes and the spans
/// in each body by kind (`OTLPSinkCounts`). Built on the project's listener, channels and request
/// parser, as the relay's own server is.
// @unchecked: `connections` is confined to `loop` (the listener's callbacks, the channels' delegate calls and `stop`'s closing run there); `listener` and `port` are set once in `init`; the counts are behind `counts`' lock
final class OTLPSink: StreamChannelDelegate, @unchecked Sendable {
    /// Where OTLP/HTTP posts traces.
    static let tracesPath = "/v1/traces"
    /// The whole answer to every request.
    private static let response = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".utf8)

    /// One connection's request in progress.
    private final class Connection {
        var parser = HTTPRequestParser(limits: HTTPParserLimits(maxBodyBytes: 64 << 20))
        var head: HTTPRequestHead?
        var body: [UInt8] = []
    }

    private let group = EventLoopGroup(count: 1, label: "relay-bench.otlp-sink")
    private var loop: EventLoop { group.loops[0] }
    private var listener: Listener?
    private var connections: [ObjectIdentifier: (channel: StreamChannel, state: Connection)] = [:]
    private let counts = Mutex(OTLPSinkCounts())

    /// The port it listens on.
    private(set) var port = 0

    /// Listens on 127.0.0.1 at a port the kernel picks.
    init() throws(IOError) {
        let listener = try Listener(
            address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, group: group, maxConnections: 64,
            onAccept: { [weak self] socket, _, _ in self?.accepted(socket) },
            onOverload: { socket, _ in socket.close() },
            onError: { _ in })
        port = listener.address.port
        self.listener = listener
        listener.start()
    }

    /// What it has received so far.
    var snapshot: OTLPSinkCounts { counts.withLock { $0 } }

    /// Stops listening and closes every connection.
    func stop() {
        listener?.stop()
        loop.queue.sync {
            for (channel, _) in connections.values { channel.close() }
        }
    }

    private func accepted(_ socket: Socket) {
        let channel = StreamChannel(transport: TCPTransport(socket: socket), loop: loop)
        channel.delegate = self
        connections[ObjectIdentifier(channel)] = (channel, Connection())
        channel.start()
    }

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        guard let connection = connections[ObjectIdentifier(channel)]?.state else { return }
        connection.parser.append(bytes)
        do throws(HTTPParserError) {
            while let part = try connection.parser.next() {
                switch part {
                case .head(let head):
                    connection.head = head
                    connection.body = []
                    if head.expectsContinue { channel.write(HTTPResponseEncoder.continueResponse()) }
                case .body(let piece):
                    connection.body += piece
                case .end:
                    guard let head = connection.head else { continue }
                    let asExpected = head.method == .post && head.path == Self.tracesPath
                        && head.headers["Content-Type"]?.lowercased().hasPrefix("application/json") == true
                    let body = connection.body
                    connection.head = nil
                    connection.body = []
                    counts.withLock { $0.record(body: body, asExpected: asExpected) }
                    channel.write(Self.response)
                    if !head.keepAlive { channel.closeAfterFlushing() }
                }
            }
        } catch {
            channel.close()
        }
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        channel.closeAfterFlushing()
    }

    func channelBecameWritable(_ channel: StreamChannel) {}

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        guard connections.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
        listener?.connectionClosed()
    }
}
