import HTTPCodec
import JSON
import RelayBenchCore
import RelayIO
import SparkCodec

/// One chat stream over HTTP/1.1 + SSE (`POST /chat/stream` on the relay or on a proxy in front of
/// it): connect, send the request, parse the chunked response and its events, check each chunk, and
/// record receive − send for stamped ones. The receive time is taken once per socket read, before
/// parsing. As a ticket stream, it first asks `POST /chat` for a ticket (201), then reads
/// `GET /chat/stream/{id}` on a new connection. Confined to its loop.
// @unchecked: confined to its event loop: LoadRun makes and starts it on `loop`, aborts it inside `loop.queue.sync`, and its exchange calls back there
final class SSEStream: BenchStream, @unchecked Sendable {
    private let spec: StreamSpec
    private let port: Int
    private let path: String
    private let loop: EventLoop
    private let run: LoadRun
    private let collector: LoopCollector
    private var account: StreamAccount
    private let response: LoadResponse
    private var exchange: BenchExchange?
    private var sawDone = false
    private var streamError: String?
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
        self.response = LoadResponse(run: run, collector: collector)
        self.account = StreamAccount(expected: spec.expectedChunks)
    }

    func start() {
        let exchange = BenchExchange(port: port, loop: loop, maxBodyBytes: Int.max, request: request()) { [self] part, now in
            if awaitingTicket {
                ticketPart(part)
            } else {
                streamPart(part, now: now)
            }
        } onFailure: { [self] failure in
            if case .closedBeforeEnd = failure, let streamError {
                finish(completed: false, reason: streamError)
            } else {
                finish(completed: false, reason: failure.description)
            }
        }
        self.exchange = exchange
        exchange.start()
    }

    func abort(reason: String) {
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

    private func streamPart(_ part: HTTPResponsePart, now: Int64) {
        switch part {
        case .head(let head):
            guard response.opens(status: head.status) else {
                finish(completed: false, reason: "HTTP \(head.status)")
                return
            }
        case .body(let bytes):
            response.body(bytes) { event in handle(event, now: now) }
        case .end:
            finish(completed: sawDone, reason: streamError ?? "response ended without a done event")
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
            exchange?.close()
            exchange = nil
            // Not from inside the parser's loop.
            loop.execute { [self] in if !over { start() } }
        }
    }

    private func handle(_ event: SSEScanner.Event, now: Int64) {
        switch event.type {
        case nil:
            guard let fields = account.record(chunk: event.data) else { return }
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

    private func finish(completed: Bool, reason: String) {
        guard !over else { return }
        over = true
        response.close()
        let problems = account.finish(completed: completed, reason: reason)
        collector.check.add(stream: spec.index, account: account, problems: problems)
        exchange?.close()
        exchange = nil
        run.streamFinished(index: spec.index, collector: collector)
    }
}
