import HTTPCodec
import RelayBenchCore
import RelayIO
import SparkCodec

/// One chat stream over HTTP/1.1 + SSE (`POST /chat/stream` on the relay or on a proxy in front of
/// it): connect, send the request, parse the chunked response and its events, check each chunk, and
/// record receive − send for stamped ones. The receive time is taken once per socket read, before
/// parsing. As a ticket stream, it first asks `POST /chat` for a ticket (201), then reads
/// `GET /chat/stream/{id}` on a new connection. Confined to its loop.
final class SSEStream: BenchStream, StreamChannelDelegate, @unchecked Sendable {
    private let spec: StreamSpec
    private let port: Int
    private let path: String
    private let loop: EventLoop
    private let run: LoadRun
    private let collector: LoopCollector
    private var account: StreamAccount
    private var parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: Int.max))
    private var scanner = SSEScanner()
    private var connector: Connector?
    private var channel: StreamChannel?
    private var sawDone = false
    private var streamError: String?
    private var opened = false
    private var over = false
    /// Ticket streams: `true` until the ticket id is read from `POST path`'s 201 body.
    private var awaitingTicket: Bool
    private var ticketBody: [UInt8] = []
    private var ticketID = ""

    init(spec: StreamSpec, port: Int, path: String, ticket: Bool = false, loop: EventLoop, run: LoadRun, collector: LoopCollector) {
        self.spec = spec
        self.port = port
        self.path = path
        self.awaitingTicket = ticket
        self.loop = loop
        self.run = run
        self.collector = collector
        self.account = StreamAccount(expected: spec.expectedChunks)
    }

    func start() {
        parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: Int.max))
        scanner = SSEScanner()
        connector = Connector.connect(host: "127.0.0.1", port: port, tls: nil, on: loop, connectTimeout: 30, tlsTimeout: 30) {
            [self] result in
            connector = nil
            switch result {
            case .failure(let error):
                finish(completed: false, reason: "connect: \(error)")
            case .success(let transport):
                guard !over else {
                    transport.socket.close()
                    return
                }
                let channel = StreamChannel(transport: transport, loop: loop)
                channel.delegate = self
                self.channel = channel
                channel.start()
                channel.write(request())
            }
        }
    }

    func abort(reason: String) {
        connector?.cancel()
        connector = nil
        finish(completed: false, reason: reason)
    }

    private func request() -> [UInt8] {
        if !awaitingTicket && !ticketID.isEmpty {
            return Array("GET \(path)/stream/\(ticketID) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n\r\n".utf8)
        }
        var body = JSONWriter(capacity: 64 + spec.fullPrompt.utf8.count)
        body.beginObject()
        body.key("prompt")
        body.string(spec.fullPrompt)
        body.endObject()
        let bytes = body.bytes
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
            + "Accept: text/event-stream\r\nContent-Length: \(bytes.count)\r\n\r\n"
        return Array(head.utf8) + bytes
    }

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        guard channel === self.channel else { return }
        let now = WallClock.realtimeNanoseconds()
        parser.append(bytes)
        drain(now: now)
    }

    private func drain(now: Int64) {
        let current = channel
        do throws(HTTPParserError) {
            while !over, channel === current, let part = try parser.next() {
                if awaitingTicket {
                    ticketPart(part)
                    continue
                }
                switch part {
                case .head(let head):
                    guard head.status == 200 else {
                        finish(completed: false, reason: "HTTP \(head.status)")
                        return
                    }
                    opened = true
                    _ = run.openStreams.add(1, ordering: .relaxed)
                case .body(let bytes):
                    collector.bytes += bytes.count
                    scanner.feed(bytes) { event in handle(event, now: now) }
                case .end:
                    finish(completed: sawDone, reason: streamError ?? "response ended without a done event")
                }
            }
        } catch {
            finish(completed: false, reason: "HTTP: \(error)")
        }
    }

    /// A part of the `POST /chat` response: 201, then the body with the ticket id; then the stream.
    private func ticketPart(_ part: HTTPResponsePart) {
        switch part {
        case .head(let head):
            if head.status != 201 { finish(completed: false, reason: "POST \(path): HTTP \(head.status)") }
        case .body(let bytes):
            ticketBody += bytes
            if ticketBody.count > 4096 { finish(completed: false, reason: "POST \(path): ticket body over 4096 bytes") }
        case .end:
            guard let id = SoakStream.ticketID(in: ticketBody) else {
                finish(completed: false, reason: "POST \(path) answered without an id: \(String(decoding: ticketBody.prefix(120), as: UTF8.self))")
                return
            }
            awaitingTicket = false
            ticketID = id
            let done = channel
            channel = nil
            done?.close()
            // Not from inside the parser's loop: starting again resets the parser.
            loop.execute { [self] in if !over { start() } }
        }
    }

    private func handle(_ event: SSEScanner.Event, now: Int64) {
        switch event.type {
        case nil:
            guard let fields = ChunkFields.parse(payload: event.data) else {
                account.recordUnreadable(String(decoding: event.data.prefix(80), as: UTF8.self))
                return
            }
            account.record(seq: fields.seq, content: fields.content)
            collector.sawChunk(at: now)
            if let sent = fields.sentNanoseconds { collector.latency.record(nanoseconds: now - sent) }
        case "done"?:
            sawDone = true
        case "stream-error"?:
            streamError = "stream-error " + String(decoding: event.data.prefix(200), as: UTF8.self)
        default:
            break
        }
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        guard channel === self.channel else { return }
        do throws(HTTPParserError) {
            try parser.endOfInput()
        } catch {
            finish(completed: false, reason: "closed mid-response")
            return
        }
        drain(now: WallClock.realtimeNanoseconds())
        finish(completed: false, reason: streamError ?? "connection closed before the end")
    }

    func channelBecameWritable(_ channel: StreamChannel) {}

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        guard channel === self.channel else { return }
        finish(completed: false, reason: "connection closed: \(error.map { "\($0)" } ?? "by bench")")
    }

    private func finish(completed: Bool, reason: String) {
        guard !over else { return }
        over = true
        if opened { _ = run.openStreams.add(-1, ordering: .relaxed) }
        let problems = account.finish(completed: completed, reason: reason)
        collector.check.add(stream: spec.index, account: account, problems: problems)
        channel?.close()
        channel = nil
        run.streamFinished(index: spec.index, collector: collector)
    }
}
