import Foundation
import RelayBenchCore
import RelayIO
import SparkCodec
import SparkSimulator
import WebSocketCodec
import WSClient

/// The baseline: one conversation over a signed WebSocket straight to the simulator (what the relay
/// itself does upstream), checking chunks like `SSEStream` and recording receive − send for each
/// stamped frame as soon as the WebSocket message is complete. Confined to its loop.
// @unchecked: confined to its event loop: LoadRun makes and starts it on `loop`, aborts it inside `loop.queue.sync`, and the WebSocket client calls back there
final class DirectStream: BenchStream, WebSocketClientDelegate, @unchecked Sendable {
    private let spec: StreamSpec
    private let simulatorPort: Int
    private let loop: EventLoop
    private let run: LoadRun
    private let collector: LoopCollector
    private var account: StreamAccount
    private var client: WebSocketClient?
    private var sawLast = false
    private var opened = false
    private var over = false

    /// The model path the relay uses by default (`generalv3.5` → `/v3.5/chat`).
    static let modelPath = SparkModelTable.default.model(named: "generalv3.5")?.path ?? "/v3.5/chat"

    init(spec: StreamSpec, simulatorPort: Int, loop: EventLoop, run: LoadRun, collector: LoopCollector) {
        self.spec = spec
        self.simulatorPort = simulatorPort
        self.loop = loop
        self.run = run
        self.collector = collector
        self.account = StreamAccount(expected: spec.expectedChunks)
    }

    func start() {
        let credentials = SimulatorConfiguration.defaultCredentials
        let endpoint = SparkEndpoint(scheme: "ws", host: "127.0.0.1", port: simulatorPort, path: Self.modelPath)
        let signed = SparkURLSigner.sign(credentials: credentials, url: endpoint, date: UnixTime.now())
        guard let url = WebSocketURL(signed.url) else {
            finish(completed: false, reason: "bad URL \(signed.url)")
            return
        }
        let client = WebSocketClient(url: url, loop: loop, tls: nil)
        client.delegate = self
        self.client = client
        client.connect()
    }

    func abort(reason: String) {
        finish(completed: false, reason: reason)
    }

    func webSocketClientDidOpen(_ client: WebSocketClient) {
        opened = true
        _ = run.openStreams.add(1, ordering: .relaxed)
        let request = SparkChatRequest(appID: SimulatorConfiguration.defaultCredentials.appID, domain: "generalv3.5",
                                       messages: [SparkChatMessage(role: .user, content: spec.fullPrompt)])
        client.sendText(request.encodeJSON())
    }

    func webSocketClient(_ client: WebSocketClient, didReceive message: WebSocketMessage) {
        let now = WallClock.realtimeNanoseconds()
        let bytes: [UInt8]
        switch message {
        case .text(let text): bytes = Array(text.utf8)
        case .binary(let data): bytes = data
        default: return
        }
        collector.bytes += bytes.count
        let (fields, status, code) = ChunkFields.parse(frame: bytes)
        if let code, code != 0 {
            finish(completed: false, reason: "Spark error \(code)")
            return
        }
        guard let fields else {
            account.recordUnreadable(String(decoding: bytes.prefix(80), as: UTF8.self))
            return
        }
        account.record(seq: fields.seq, content: fields.content)
        collector.sawChunk(at: now)
        if let sent = fields.sentNanoseconds { collector.latency.record(nanoseconds: now - sent) }
        if status == 2 {
            sawLast = true
            finish(completed: true, reason: "")
        }
    }

    func webSocketClient(_ client: WebSocketClient, didCloseWith result: WebSocketClient.CloseResult) {
        finish(completed: sawLast, reason: "closed: \(result)")
    }

    private func finish(completed: Bool, reason: String) {
        guard !over else { return }
        over = true
        if opened { _ = run.openStreams.add(-1, ordering: .relaxed) }
        let problems = account.finish(completed: completed, reason: reason)
        collector.check.add(stream: spec.index, account: account, problems: problems)
        client?.close(code: .normalClosure)
        client = nil
        run.streamFinished(index: spec.index, collector: collector)
    }
}
