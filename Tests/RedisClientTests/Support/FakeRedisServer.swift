import RelayIO
import RESPCodec

/// A scripted RESP server on 127.0.0.1:0 for what a real Redis will not do on demand: garbage,
/// unsolicited replies, refused handshakes. `respond` gets each command's arguments (as strings)
/// and returns the raw bytes to answer with (empty: no answer).
final class FakeRedisServer: StreamChannelDelegate, @unchecked Sendable {
    private let group = EventLoopGroup(count: 1, label: "fake-redis")
    private var listener: Listener?
    private let respond: @Sendable ([String]) -> [UInt8]
    // Loop-confined.
    private var channels: [ObjectIdentifier: (channel: StreamChannel, decoder: RESPDecoder)] = [:]

    /// The port it listens on.
    private(set) var port = 0

    init(respond: @escaping @Sendable ([String]) -> [UInt8]) throws {
        self.respond = respond
        let listener = try Listener(
            address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, group: group, maxConnections: 16,
            onAccept: { [weak self] socket, _, loop in self?.accepted(socket, loop: loop) },
            onOverload: { socket, _ in socket.close() },
            onError: { _ in })
        self.listener = listener
        port = listener.address.port
        listener.start()
    }

    func stop() {
        listener?.stop()
        group.loops[0].queue.sync {
            for (channel, _) in channels.values { channel.close() }
        }
    }

    private func accepted(_ socket: Socket, loop: EventLoop) {
        let channel = StreamChannel(transport: TCPTransport(socket: socket), loop: loop)
        channel.delegate = self
        channels[ObjectIdentifier(channel)] = (channel, RESPDecoder())
        channel.start()
    }

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        let id = ObjectIdentifier(channel)
        guard var decoder = channels[id]?.decoder else { return }
        decoder.append(bytes)
        var answer: [UInt8] = []
        while let command = try? decoder.next() {
            answer += respond(command.elements?.compactMap(\.string) ?? [])
        }
        channels[id]?.decoder = decoder
        if !answer.isEmpty { channel.write(answer) }
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) { channel.close() }
    func channelBecameWritable(_ channel: StreamChannel) {}
    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        channels[ObjectIdentifier(channel)] = nil
        listener?.connectionClosed()
    }
}

extension FakeRedisServer {
    /// `HELLO`'s RESP3 answer: a small map.
    static let helloReply = Array("%2\r\n$6\r\nserver\r\n$4\r\nfake\r\n$7\r\nversion\r\n$5\r\n9.9.9\r\n".utf8)
}
