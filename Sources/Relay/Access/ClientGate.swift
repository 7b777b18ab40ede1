import Dispatch
import Foundation
import HTTPCodec
import RelayCrypto
import Synchronization

/// Who may use the relay, and how much: client API keys (stored as SHA-256, compared in constant
/// time), a per-client request rate (token bucket), concurrent streams per client, and the
/// server-wide stream bound. A client is its key, or its address when keys are off.
final class ClientGate: Sendable {
    private let keyHashes: [[UInt8]]
    private let authEnabled: Bool
    private let limits: RelayConfiguration.Limits
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let streams = Mutex<(total: Int, perClient: [String: Int])>((0, [:]))
    private let clock: @Sendable () -> Double
    /// Clients tracked for rate limiting at most (the oldest are forgotten past it).
    static let maxTrackedClients = 100_000

    init(auth: RelayConfiguration.Auth, limits: RelayConfiguration.Limits,
         clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.authEnabled = auth.enabled
        self.keyHashes = auth.apiKeyHashes.map { hex in
            stride(from: 0, to: hex.count, by: 2).map { offset in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
            }
        }
        self.limits = limits
        self.clock = clock
    }

    var isAuthEnabled: Bool { authEnabled }

    /// Wraps `handler`: authenticates, rate-limits, and passes the client id on in the request.
    func protect(_ handler: @escaping RouteHandler) -> RouteHandler {
        { [self] request, writer in
            var request = request
            switch admit(request) {
            case .success(let client):
                request.clientID = client
                handler(request, writer)
            case .failure(let error):
                writer.respond(request.path.hasPrefix("/v1/") ? error.openAIResponse : error.response)
            }
        }
    }

    /// The client id for `request`, or the error to answer with.
    func admit(_ request: HTTPRequest) -> Result<String, APIError> {
        let client: String
        if authEnabled {
            guard let header = request.headers["Authorization"] else {
                return .failure(.unauthorized("missing API key: send Authorization: Bearer <key>"))
            }
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
                return .failure(.unauthorized("the Authorization header must be 'Bearer <key>'"))
            }
            let digest = Digest.sha256(Array(parts[1].utf8))
            // Every configured hash is compared, in constant time, so timing reveals nothing.
            var matched: [UInt8]?
            for hash in keyHashes where ConstantTime.equals(hash, digest) { matched = hash }
            guard let matched else { return .failure(.unauthorized("invalid API key")) }
            client = "key:" + Hex.encode(matched.prefix(6))
        } else {
            client = "addr:" + (request.clientAddress ?? request.remoteAddress?.host ?? "unknown")
        }
        if limits.requestsPerMinute > 0 {
            let now = clock()
            let wait: Double? = buckets.withLock { table in
                if table[client] == nil && table.count >= Self.maxTrackedClients {
                    // Forget the fullest buckets first: they are the clients that have not been seen for longest.
                    if let stale = table.max(by: { $0.value.tokens < $1.value.tokens })?.key { table[stale] = nil }
                }
                var bucket = table[client] ?? TokenBucket(capacity: Double(limits.burst),
                                                         ratePerSecond: Double(limits.requestsPerMinute) / 60, now: now)
                let wait = bucket.take(now: now)
                table[client] = bucket
                return wait
            }
            if let wait {
                let seconds = Int(wait.rounded(.up))
                return .failure(APIError(status: .tooManyRequests, type: "rate_limit_error", code: "rate_limited",
                                         message: "too many requests: the limit is \(limits.requestsPerMinute) per minute; retry in \(seconds) s",
                                         headers: [("Retry-After", String(max(1, seconds)))]))
            }
        }
        return .success(client)
    }

    /// Takes a stream slot for `client`: `429` past the per-client bound, `503` past the server's.
    func acquireStream(client: String) -> Result<StreamSlot, APIError> {
        let outcome: APIError? = streams.withLock { state in
            if limits.maxStreams > 0 && state.total >= limits.maxStreams {
                return APIError(status: .serviceUnavailable, type: "server_error", code: "too_many_streams",
                                message: "the server is at its limit of \(limits.maxStreams) open streams; retry shortly",
                                headers: [("Retry-After", "1")])
            }
            let mine = state.perClient[client, default: 0]
            if limits.maxStreamsPerClient > 0 && mine >= limits.maxStreamsPerClient {
                return APIError(status: .tooManyRequests, type: "rate_limit_error", code: "too_many_streams_for_client",
                                message: "this client already has \(mine) open streams (limit \(limits.maxStreamsPerClient))",
                                headers: [("Retry-After", "1")])
            }
            state.total += 1
            state.perClient[client] = mine + 1
            return nil
        }
        if let outcome { return .failure(outcome) }
        return .success(StreamSlot { [self] in
            streams.withLock { state in
                state.total -= 1
                let left = state.perClient[client, default: 1] - 1
                state.perClient[client] = left > 0 ? left : nil
            }
        })
    }

    /// Streams open right now.
    var openStreams: Int { streams.withLock { $0.total } }
}

/// One held stream slot; `release()` is idempotent.
final class StreamSlot: Sendable {
    private let released = Atomic<Bool>(false)
    private let onRelease: @Sendable () -> Void

    init(onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = onRelease
    }

    func release() {
        if !released.exchange(true, ordering: .relaxed) { onRelease() }
    }

    deinit { release() }
}

extension APIError {
    static func unauthorized(_ message: String) -> APIError {
        APIError(status: .unauthorized, type: "authentication_error", code: "invalid_api_key", message: message,
                 headers: [("WWW-Authenticate", #"Bearer realm="spark-relay""#)])
    }
}
