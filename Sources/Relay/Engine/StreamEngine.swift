import HTTPCodec
import RelayIO

/// Where shared stream state lives (`cluster.engine`). The memory engine keeps today's behaviour:
/// tickets and replay buffers stay in the process (`StreamRegistry`, `ReplayBuffer`). The Redis engine
/// adds tickets claimable from any relay, an event log per stream that readers on other relays
/// follow, and relay liveness. Completions run on the loop the call names.
protocol StreamEngine: AnyObject, Sendable {
    /// `memory` or `redis` (for `/healthz`).
    var kind: ClusterEngineKind { get }
    /// `true` while the engine cannot reach its store (`POST /chat` then answers `503`).
    var isDegraded: Bool { get }
    /// `true` when tickets and event logs live in the engine, so other relays can see them.
    var sharesStreams: Bool { get }
    /// Stores a ticket that any relay can claim once within `ttl` seconds.
    func createTicket(id: String, ticket: StreamTicket, on loop: EventLoop, _ done: @escaping (Result<Void, APIError>) -> Void)
    /// Claims the ticket `id` for this relay, or says who owns the stream, or that nobody knows it.
    func claim(id: String, on loop: EventLoop, _ done: @escaping (Result<StreamClaim, APIError>) -> Void)
    /// The event log writer for a stream this relay owns, or `nil` when nothing is shared.
    func makeLogWriter(streamID: String, loop: EventLoop) -> (any StreamLogWriter)?
    /// Whether a relay currently holds a reader of `streamID` (for the owner's reconnect grace).
    func hasRemoteReader(streamID: String, on loop: EventLoop, _ done: @escaping (Bool) -> Void)
    /// Follows a stream owned by another relay: replays after `after`, then live, into `subscriber`.
    func follow(streamID: String, owner: String, after: Int, subscriber: StreamSubscriber, headers: HTTPHeaders)
    /// Connects and starts background work (the relay's heartbeat).
    func start()
    /// Blocks (never on an event loop) until the streams this relay owns and logs for other relays
    /// are over, or `timeout` seconds passed.
    func waitForOwnedStreams(timeout: Double)
    /// Stops timers and connections (server shutdown).
    func shutdown()
}

/// What the first `GET` of a stream id found.
enum StreamClaim: Sendable, Equatable {
    /// The ticket was ours to take: open the upstream here.
    case owned(StreamTicket)
    /// Another relay (`owner`) runs the stream: read its event log.
    case remote(owner: String)
    /// No such ticket or stream (never made, expired, or its replay window passed).
    case unknown
}

/// What a `POST /chat` ticket carries so that any relay can open the conversation: the request as
/// it was received (re-validated on claim) and the client (and named key) it counts against.
struct StreamTicket: Sendable, Equatable {
    var client: String
    var keyName: String?
    var contentType: String?
    var body: [UInt8]

    /// `v2\n{client}\n{key name}\n{content type}\n{body}`: client ids, key names and header values
    /// never hold a line feed.
    var encoded: [UInt8] {
        Array("v2\n\(client)\n\(keyName ?? "")\n\(contentType ?? "")\n".utf8) + body
    }

    init(client: String, keyName: String?, contentType: String?, body: [UInt8]) {
        self.client = client
        self.keyName = keyName
        self.contentType = contentType
        self.body = body
    }

    /// Parses `encoded`; `nil` for anything else.
    init?(encoded bytes: [UInt8]) {
        var lines: [[UInt8]] = []
        var start = 0
        var index = 0
        while lines.count < 4 && index < bytes.count {
            if bytes[index] == 0x0A {
                lines.append(Array(bytes[start..<index]))
                start = index + 1
            }
            index += 1
        }
        guard lines.count == 4, lines[0] == Array("v2".utf8) else { return nil }
        client = String(decoding: lines[1], as: UTF8.self)
        keyName = lines[2].isEmpty ? nil : String(decoding: lines[2], as: UTF8.self)
        contentType = lines[3].isEmpty ? nil : String(decoding: lines[3], as: UTF8.self)
        body = Array(bytes[start...])
    }

    /// The headers `ChatInput.parse` looks at.
    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        if let contentType { headers.replaceOrAdd(name: "Content-Type", value: contentType) }
        return headers
    }
}

/// Receives every numbered event of a stream this relay owns, on the stream's loop, in order.
protocol StreamLogWriter: AnyObject {
    func append(_ event: StreamEvent)
}

extension APIError {
    /// `POST /chat` (and claiming a ticket) while the shared engine is unreachable.
    static let engineUnavailable = APIError(
        status: .serviceUnavailable, type: "server_error", code: "engine_unavailable",
        message: "the shared stream engine (Redis) is unavailable; retry shortly, or use POST /chat/stream",
        headers: [("Retry-After", "5")])
}
