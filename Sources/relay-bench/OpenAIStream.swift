import HTTPCodec
import JSON
import RelayBenchCore
import RelayIO
import SparkCodec

/// One OpenAI-compatible stream (`POST /v1/chat/completions`, `stream: true`) on the relay or on a
/// proxy in front of it (LiteLLM): connect, send the request, parse the chunked response's `data:`
/// lines, check every chunk with `OpenAIStreamAccount` (each content piece once, in order, the whole
/// answer, `finish_reason` `stop`, `[DONE]`). OpenAI chunks carry no simulator stamp, so each content
/// chunk's arrival time is recorded relative to the request start (taken before connecting); apart
/// from that, the first chunk's (the per-request cost) and each later chunk's lateness after the first
/// (piece k is sent k × delay after piece 0: the per-chunk cost). The receive time is taken once per socket read, before parsing. Confined to its loop.
// @unchecked: confined to its event loop: LoadRun makes and starts it on `loop`, aborts it inside `loop.queue.sync`, and its exchange calls back there
final class OpenAIStream: BenchStream, @unchecked Sendable {
    private let spec: StreamSpec
    private let port: Int
    private let path: String
    private let model: String
    private let apiKey: String
    private let loop: EventLoop
    private let run: LoadRun
    private let collector: LoopCollector
    private var account: OpenAIStreamAccount
    private let response: LoadResponse
    private var exchange: BenchExchange?
    private var startedNs: Int64 = 0
    private var firstNs: Int64?
    private var over = false

    init(spec: StreamSpec, port: Int, path: String, model: String, apiKey: String, loop: EventLoop, run: LoadRun,
         collector: LoopCollector) {
        self.spec = spec
        self.port = port
        self.path = path
        self.model = model
        self.apiKey = apiKey
        self.loop = loop
        self.run = run
        self.collector = collector
        self.response = LoadResponse(run: run, collector: collector)
        self.account = OpenAIStreamAccount(pieces: spec.expectedChunks)
    }

    func start() {
        startedNs = WallClock.realtimeNanoseconds()
        let exchange = BenchExchange(port: port, loop: loop, maxBodyBytes: Int.max, request: request()) { [self] part, now in
            received(part, now: now)
        } onFailure: { [self] failure in
            finish(reason: failure.description)
        }
        self.exchange = exchange
        exchange.start()
    }

    func abort(reason: String) {
        finish(reason: reason)
    }

    private func request() -> [UInt8] {
        var body = JSONWriter(capacity: 128 + spec.fullPrompt.utf8.count)
        body.beginObject()
        body.key("model"); body.string(model)
        body.key("stream"); body.bool(true)
        body.key("messages")
        body.beginArray()
        body.beginObject()
        body.key("role"); body.string("user")
        body.key("content"); body.string(spec.fullPrompt)
        body.endObject()
        body.endArray()
        body.endObject()
        let bytes = body.bytes
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
            + "Authorization: Bearer \(apiKey)\r\nAccept: text/event-stream\r\nContent-Length: \(bytes.count)\r\n\r\n"
        return Array(head.utf8) + bytes
    }

    private func received(_ part: HTTPResponsePart, now: Int64) {
        switch part {
        case .head(let head):
            guard response.opens(status: head.status) else {
                finish(reason: "HTTP \(head.status)")
                return
            }
        case .body(let bytes):
            response.body(bytes) { event in handle(event, now: now) }
        case .end:
            finish(reason: "response ended")
        }
    }

    private func handle(_ event: SSEScanner.Event, now: Int64) {
        guard event.type == nil else { return }
        if case .content(let index) = account.record(data: event.data) {
            collector.sawChunk(at: now)
            let sinceStart = now - startedNs
            collector.latency.record(nanoseconds: sinceStart)
            if index == 0 {
                firstNs = now
                collector.firstChunk.record(nanoseconds: sinceStart)
            } else if let firstNs {
                collector.schedule.record(nanoseconds: now - firstNs - Int64(index) * Int64(spec.delayMs) * 1_000_000)
            }
        }
    }

    private func finish(reason: String) {
        guard !over else { return }
        over = true
        response.close()
        let problems = account.finish(reason: reason)
        collector.check.add(stream: spec.index, account: account.account, problems: problems)
        exchange?.close()
        exchange = nil
        run.streamFinished(index: spec.index, collector: collector)
    }
}
