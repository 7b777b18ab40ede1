import HTTPCodec
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
final class OpenAIStream: BenchStream, StreamChannelDelegate, @unchecked Sendable {
    private let spec: StreamSpec
    private let port: Int
    private let path: String
    private let model: String
    private let apiKey: String
    private let loop: EventLoop
    private let run: LoadRun
    private let collector: LoopCollector
    private var account: OpenAIStreamAccount
    private var parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: Int.max))
    private var scanner = SSEScanner()
    private var connector: Connector?
    private var channel: StreamChannel?
    private var startedNs: Int64 = 0
    private var firstNs: Int64?
    private var opened = false
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
        self.account = OpenAIStreamAccount(pieces: spec.expectedChunks)
    }

    func start() {
        startedNs = WallClock.realtimeNanoseconds()
        connector = Connector.connect(host: "127.0.0.1", port: port, tls: nil, on: loop, connectTimeout: 30, tlsTimeout: 30) {
            [self] result in
            connector = nil
            switch result {
            case .failure(let error):
                finish(reason: "connect: \(error)")
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

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        let now = WallClock.realtimeNanoseconds()
        parser.append(bytes)
        drain(now: now)
    }

    private func drain(now: Int64) {
        do throws(HTTPParserError) {
            while !over, let part = try parser.next() {
                switch part {
                case .head(let head):
                    guard head.status == 200 else {
                        finish(reason: "HTTP \(head.status)")
                        return
                    }
                    opened = true
                    _ = run.openStreams.add(1, ordering: .relaxed)
                case .body(let bytes):
                    collector.bytes += bytes.count
                    scanner.feed(bytes) { event in handle(event, now: now) }
                case .end:
                    finish(reason: "response ended")
                }
            }
        } catch {
            finish(reason: "HTTP: \(error)")
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

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        do throws(HTTPParserError) {
            try parser.endOfInput()
        } catch {
            finish(reason: "closed mid-response")
            return
        }
        drain(now: WallClock.realtimeNanoseconds())
        finish(reason: "connection closed before the end")
    }

    func channelBecameWritable(_ channel: StreamChannel) {}

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        finish(reason: "connection closed: \(error.map { "\($0)" } ?? "by bench")")
    }

    private func finish(reason: String) {
        guard !over else { return }
        over = true
        if opened { _ = run.openStreams.add(-1, ordering: .relaxed) }
        let problems = account.finish(reason: reason)
        collector.check.add(stream: spec.index, account: account.account, problems: problems)
        channel?.close()
        channel = nil
        run.streamFinished(index: spec.index, collector: collector)
    }
}
