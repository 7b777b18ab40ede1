import HTTPCodec
import JSON
import RelayBenchCore
import RelayIO
import SparkCodec
import Synchronization

/// What a soak client does; each behaviour has an exact expected outcome, checked chunk by chunk.
enum SoakBehaviour: String, CaseIterable, Sendable {
    /// Reads the whole stream to `done`.
    case complete
    /// Leaves (closes) after `leaveAfter` chunks.
    case leave
    /// The simulator sends an error frame after `faultAfter` chunks: that many chunks, then `stream-error`.
    case error
    /// The simulator drops the connection after `faultAfter` chunks: that many chunks, then `stream-error`.
    case drop
    /// The simulator goes silent after `faultAfter` chunks; the client leaves once it has them.
    case stall
    /// Ticket flow: `POST /chat`, `GET /chat/stream/{id}`, leave after `leaveAfter` chunks, reconnect
    /// with `Last-Event-ID` and read the rest to `done`: every chunk exactly once, in order.
    case resume

    static let leaveAfter = 5
    static let faultAfter = 7

    /// Directives for the simulator.
    var directives: String {
        switch self {
        case .complete, .leave, .resume: return ""
        case .error: return " [[error:10013@\(Self.faultAfter)]]"
        case .drop: return " [[drop@\(Self.faultAfter)]]"
        case .stall: return " [[stall@\(Self.faultAfter)]]"
        }
    }

    /// How many of the script's chunks the client must see.
    func expectedCount(total: Int) -> Int {
        switch self {
        case .complete, .resume: return total
        case .leave: return min(total, Self.leaveAfter)
        case .error, .drop, .stall: return min(total, Self.faultAfter)
        }
    }
}

/// Soak results of one loop; only touched on that loop.
// @unchecked: confined to its event loop: soak streams update it there, and the soak scenario reads it inside `loop.queue.sync`
final class SoakCollector: @unchecked Sendable {
    var check = StreamCheck()
    var exactResumes = 0
    var active: [Int: SoakStream] = [:]
}

/// One soak client on one loop: one or two HTTP exchanges (three for a resume), each on its own
/// connection, every chunk checked against the simulator's script.
// @unchecked: confined to its event loop: the soak scenario makes and starts it on `loop`, aborts it inside `loop.queue.sync`, and its exchange and stall timer call back there
final class SoakStream: @unchecked Sendable {
    let index: Int
    let behaviour: SoakBehaviour
    private let port: Int
    private let chunks: Int
    private let delayMs: Int
    private let loop: EventLoop
    private let collector: SoakCollector
    private let onFinish: @Sendable () -> Void
    private var account: StreamAccount
    private var scanner = SSEScanner()
    private var exchange: BenchExchange?
    private var phase = Phase.first
    private var chunksSeen = 0
    private var lastEventID: String?
    private var ticketBody: [UInt8] = []
    private var ticketID: String?
    private var sawStreamError = false
    private var over = false
    private var stallTimer: LoopTimer?

    private enum Phase { case ticket, first, resumed }

    init(index: Int, behaviour: SoakBehaviour, port: Int, chunks: Int, delayMs: Int, loop: EventLoop, collector: SoakCollector,
         onFinish: @escaping @Sendable () -> Void) {
        self.index = index
        self.behaviour = behaviour
        self.port = port
        self.chunks = chunks
        self.delayMs = delayMs
        self.loop = loop
        self.collector = collector
        self.onFinish = onFinish
        let script = StreamSpec(index: index, chunks: chunks, delayMs: delayMs, stamp: false).expectedChunks
        self.account = StreamAccount(expected: Array(script.prefix(behaviour.expectedCount(total: chunks))))
    }

    private var prompt: String {
        StreamSpec(index: index, chunks: chunks, delayMs: delayMs, stamp: false).fullPrompt + behaviour.directives
    }

    func start() {
        phase = behaviour == .resume ? .ticket : .first
        connect()
    }

    func abort(reason: String) {
        finish(completed: false, reason: reason)
    }

    private func request() -> [UInt8] {
        var body = JSONWriter(capacity: 128)
        body.beginObject()
        body.key("prompt")
        body.string(prompt)
        body.endObject()
        let json = body.bytes
        let host = "Host: 127.0.0.1:\(port)\r\n"
        switch phase {
        case .ticket:
            return Array(("POST /chat HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Length: \(json.count)\r\n\r\n").utf8)
                + json
        case .first where behaviour != .resume:
            return Array(("POST /chat/stream HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                          + "Content-Length: \(json.count)\r\n\r\n").utf8) + json
        case .first, .resumed:
            let last = phase == .resumed ? lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? "" : ""
            return Array(("GET /chat/stream/\(ticketID ?? "") HTTP/1.1\r\n" + host + "Accept: text/event-stream\r\n" + last + "\r\n").utf8)
        }
    }

    private func connect() {
        scanner = SSEScanner()
        let exchange = BenchExchange(port: port, loop: loop, maxBodyBytes: 1 << 20, request: request()) { [self] part, _ in
            received(part)
        } onFailure: { [self] failure in
            finish(completed: false, reason: failure.description)
        }
        self.exchange = exchange
        exchange.start()
    }

    private func received(_ part: HTTPResponsePart) {
        switch part {
        case .head(let head):
            let wanted = phase == .ticket ? 201 : 200
            guard head.status == wanted else {
                finish(completed: false, reason: "HTTP \(head.status) in phase \(phase)")
                return
            }
        case .body(let bytes):
            if phase == .ticket {
                ticketBody += bytes
            } else {
                scanner.feed(bytes) { event in handle(event) }
            }
        case .end:
            responseEnded()
        }
    }

    private func handle(_ event: SSEScanner.Event) {
        guard !over else { return }
        switch event.type {
        case nil:
            guard account.record(chunk: event.data) != nil else { return }
            chunksSeen += 1
            if let id = event.id { lastEventID = id }
            switch behaviour {
            case .leave where chunksSeen == SoakBehaviour.leaveAfter:
                finish(completed: true, reason: "")
            case .stall where chunksSeen == SoakBehaviour.faultAfter:
                // Nothing more may come: wait a little for a stray chunk, then leave.
                stallTimer = loop.schedule(after: 0.2) { [self] in finish(completed: true, reason: "") }
            case .resume where phase == .first && chunksSeen == SoakBehaviour.leaveAfter:
                exchange?.close()
                exchange = nil
                phase = .resumed
                // Not from inside the scanner's callback: reconnecting resets the scanner.
                loop.execute { [self] in if !over { connect() } }
            default:
                break
            }
        case "done"?:
            if behaviour == .complete || behaviour == .resume {
                if behaviour == .resume { collector.exactResumes += account.isClean && phase == .resumed ? 1 : 0 }
            } else {
                account.recordUnreadable("done where a \(behaviour) stream expected none")
            }
        case "stream-error"?:
            sawStreamError = true
            if behaviour != .error && behaviour != .drop {
                account.recordUnreadable("stream-error " + String(decoding: event.data.prefix(160), as: UTF8.self))
            }
        default:
            break
        }
    }

    private func responseEnded() {
        switch phase {
        case .ticket:
            guard let id = Self.ticketID(in: ticketBody) else {
                finish(completed: false, reason: "POST /chat answered without an id: \(String(decoding: ticketBody.prefix(120), as: UTF8.self))")
                return
            }
            ticketID = id
            exchange?.close()
            exchange = nil
            phase = .first
            loop.execute { [self] in if !over { connect() } }
        case .first, .resumed:
            switch behaviour {
            case .error, .drop: finish(completed: sawStreamError, reason: "ended without stream-error")
            case .complete, .resume: finish(completed: true, reason: "")
            case .leave, .stall: finish(completed: false, reason: "ended before the client left")
            }
        }
    }

    /// `"id":"…"` from the ticket response.
    static func ticketID(in body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let key = text.range(of: "\"id\":\"") else { return nil }
        let rest = text[key.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    private func finish(completed: Bool, reason: String) {
        guard !over else { return }
        over = true
        stallTimer?.cancel()
        stallTimer = nil
        let problems = account.finish(completed: completed, reason: reason)
        collector.check.add(stream: index, account: account, problems: problems)
        exchange?.close()
        exchange = nil
        collector.active.removeValue(forKey: index)
        onFinish()
    }
}

/// Clients of a soak still running.
final class SoakCounter: Sendable {
    let value = Atomic<Int>(0)
}
