import HTTPCodec
import RelayBenchCore
import RelayIO

/// One HTTP/1.1 exchange of a bench client on a connection of its own to 127.0.0.1: connects
/// (30 s), writes the request, parses the response and hands each part to `onPart` with the wall
/// clock of the socket read it came in (taken once per read, before parsing). What ends the
/// exchange before the response's end is reported once through `onFailure`. After `close()`
/// (which the owner calls when it is done, also from inside `onPart`) nothing more is reported.
/// Confined to its loop.
// @unchecked: confined to its event loop: its stream makes and starts it on `loop`, and the connector and channel call back there
final class BenchExchange: StreamChannelDelegate, @unchecked Sendable {
    /// Why an exchange ended before its response did.
    enum Failure: CustomStringConvertible {
        case connect(String)
        case http(HTTPParserError)
        /// The connection ended inside a response part.
        case closedMidResponse
        /// The connection ended between parts, before the response's end.
        case closedBeforeEnd
        case closed(TransportError?)

        var description: String {
            switch self {
            case .connect(let reason): "connect: \(reason)"
            case .http(let error): "HTTP: \(error)"
            case .closedMidResponse: "closed mid-response"
            case .closedBeforeEnd: "connection closed before the end"
            case .closed(let error): "connection closed: \(error.map { "\($0)" } ?? "by bench")"
            }
        }
    }

    private let port: Int
    private let loop: EventLoop
    private let request: [UInt8]
    private var parser: HTTPResponseParser
    private var connector: Connector?
    private var channel: StreamChannel?
    private var closed = false
    // Released on close: they hold the owner, which holds this exchange.
    private var onPart: ((HTTPResponsePart, Int64) -> Void)?
    private var onFailure: ((Failure) -> Void)?

    init(port: Int, loop: EventLoop, maxBodyBytes: Int, request: [UInt8], onPart: @escaping (HTTPResponsePart, Int64) -> Void,
         onFailure: @escaping (Failure) -> Void) {
        self.port = port
        self.loop = loop
        self.request = request
        self.parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: maxBodyBytes))
        self.onPart = onPart
        self.onFailure = onFailure
    }

    func start() {
        connector = Connector.connect(host: "127.0.0.1", port: port, tls: nil, on: loop, connectTimeout: 30, tlsTimeout: 30) {
            [self] result in
            connector = nil
            switch result {
            case .failure(let error):
                fail(.connect("\(error)"))
            case .success(let transport):
                guard !closed else {
                    transport.socket.close()
                    return
                }
                let channel = StreamChannel(transport: transport, loop: loop)
                channel.delegate = self
                self.channel = channel
                channel.start()
                channel.write(request)
            }
        }
    }

    /// Ends the exchange (cancels the connect, closes the connection); idempotent.
    func close() {
        guard !closed else { return }
        closed = true
        onPart = nil
        onFailure = nil
        connector?.cancel()
        connector = nil
        let channel = self.channel
        self.channel = nil
        channel?.close()
    }

    private func fail(_ failure: Failure) {
        guard !closed, let onFailure else { return }
        close()
        onFailure(failure)
    }

    private func drain(now: Int64) {
        do throws(HTTPParserError) {
            while !closed, let onPart, let part = try parser.next() {
                onPart(part, now)
            }
        } catch {
            fail(.http(error))
        }
    }

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        guard !closed else { return }
        let now = WallClock.realtimeNanoseconds()
        parser.append(bytes)
        drain(now: now)
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        guard !closed else { return }
        do throws(HTTPParserError) {
            try parser.endOfInput()
        } catch {
            fail(.closedMidResponse)
            return
        }
        drain(now: WallClock.realtimeNanoseconds())
        fail(.closedBeforeEnd)
    }

    func channelBecameWritable(_ channel: StreamChannel) {}

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        fail(.closed(error))
    }
}
