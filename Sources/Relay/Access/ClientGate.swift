import Dispatch
import HTTPCodec
import RelayCrypto
import Synchronization

/// Who may use the relay, and how much: client API keys (stored as SHA-256, compared in constant
/// time), named keys with their own limits and models, a per-client request rate (token bucket),
/// concurrent streams per client, and the server-wide stream bound. A client is its key, or its
/// address (see `server.trusted_proxies`) when keys are off.
final class ClientGate: Sendable {
    /// A named key (`auth.keys[]`) as the gate uses it.
    struct NamedKey: Sendable {
        var name: String
        var requestsPerMinute: Int?
        var maxStreams: Int?
        /// Canonical model names the key may use; `nil`: all.
        var models: Set<String>?
    }

    /// Each accepted key's hash, with its named key when it has one.
    private let keyHashes: [(hash: [UInt8], key: NamedKey?)]
    private let namedKeys: [String: NamedKey]
    private let authEnabled: Bool
    private let limits: RelayConfiguration.Limits
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let streams = Mutex<(total: Int, perClient: [String: Int])>((0, [:]))
    private let clock: @Sendable () -> Double
    /// The fleet-wide request rate (Redis engine), when attached.
    let fleet = Mutex<(any FleetClientLimiter)?>(nil)
    /// Clients tracked for rate limiting at most (the oldest are forgotten past it).
    static let maxTrackedClients = 100_000

    /// `canonicalModel` maps a configured model name or alias to the model's name (`nil`: unknown);
    /// an unknown model in `auth.keys[i].models` is a configuration error naming the entry.
    init(auth: RelayConfiguration.Auth, limits: RelayConfiguration.Limits,
         canonicalModel: (String) -> String? = { $0 },
         clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) throws(ConfigError) {
        self.authEnabled = auth.enabled
        var named: [String: NamedKey] = [:]
        var hashes: [(hash: [UInt8], key: NamedKey?)] = auth.apiKeyHashes.map { (Self.bytes(hex: $0), nil) }
        for (index, key) in auth.keys.enumerated() {
            var models: Set<String>?
            if let list = key.models {
                var set = Set<String>()
                for (position, model) in list.enumerated() {
                    guard let canonical = canonicalModel(model) else {
                        throw ConfigError(key: "auth.keys[\(index)].models[\(position)]", message: "'\(model.prefix(80))' is not a configured model")
                    }
                    set.insert(canonical)
                }
                models = set
            }
            let entry = NamedKey(name: key.name, requestsPerMinute: key.requestsPerMinute, maxStreams: key.maxStreams, models: models)
            named[key.name] = entry
            hashes.append((Self.bytes(hex: key.sha256), entry))
        }
        self.keyHashes = hashes
        self.namedKeys = named
        self.limits = limits
        self.clock = clock
    }

    /// The bytes of a lowercase hex SHA-256 (validated by the configuration).
    static func bytes(hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
    }

    var isAuthEnabled: Bool { authEnabled }

    /// Names of the configured named keys (metric label values), sorted.
    var keyNames: [String] { namedKeys.keys.sorted() }

    /// Wraps `handler`: authenticates, rate-limits, and passes the client id (and key name) on in
    /// the request; the key name also goes to the writer, for the access log and metrics.
    func protect(_ handler: @escaping RouteHandler) -> RouteHandler {
        { [self] request, writer in
            var request = request
            switch identify(request) {
            case .success(let client):
                request.clientID = client.id
                request.keyName = client.keyName
                // Set before any refusal, so the access log and the metrics name the key a 429 was for.
                writer.keyName = client.keyName
                if let refused = limitRate(client) {
                    writer.respond(request.path.hasPrefix("/v1/") ? refused.openAIResponse : refused.response)
                    return
                }
                admitFleetWide(request, writer, handler)
            case .failure(let error):
                writer.respond(request.path.hasPrefix("/v1/") ? error.openAIResponse : error.response)
            }
        }
    }

    /// The request's rate limit per minute (its named key's, else the global one; `0` = none).
    func requestsPerMinute(for request: HTTPRequest) -> Int {
        request.keyName.flatMap { namedKeys[$0]?.requestsPerMinute } ?? limits.requestsPerMinute
    }

    /// The request's concurrent-stream limit (its named key's, else the global one; `0` = none).
    func maxStreamsPerClient(for request: HTTPRequest) -> Int {
        request.keyName.flatMap { namedKeys[$0]?.maxStreams } ?? limits.maxStreamsPerClient
    }

    /// The burst of every client's bucket.
    var burst: Int { limits.burst }

    /// Who a request is from, once admitted.
    struct Client: Sendable, Equatable {
        /// `key:<name>` for a named key, `key:<hash prefix>` for an anonymous one, `addr:<address>` when keys are off.
        var id: String
        /// The named key's name.
        var keyName: String?
    }

    /// Who the request is from: its key (named or anonymous), or its address when keys are off;
    /// `401` when keys are on and it has none that matches.
    func identify(_ request: HTTPRequest) -> Result<Client, APIError> {
        guard authEnabled else {
            return .success(Client(id: "addr:" + (request.clientAddress ?? request.remoteAddress?.host ?? "unknown")))
        }
        guard let header = request.headers["Authorization"] else {
            return .failure(.unauthorized("missing API key: send Authorization: Bearer <key>"))
        }
        guard let token = Self.bearerToken(header) else {
            return .failure(.unauthorized("the Authorization header must be 'Bearer <key>'"))
        }
        let digest = Digest.sha256(Array(token.utf8))
        // Every configured hash is compared, in constant time, so timing reveals nothing.
        var matched: (hash: [UInt8], key: NamedKey?)?
        for entry in keyHashes where ConstantTime.equals(entry.hash, digest) { matched = entry }
        guard let matched else { return .failure(.unauthorized("invalid API key")) }
        if let key = matched.key { return .success(Client(id: "key:" + key.name, keyName: key.name)) }
        return .success(Client(id: "key:" + Hex.encode(matched.hash.prefix(6))))
    }

    /// The key of an `Authorization: Bearer <key>` header; `nil` for any other form.
    static func bearerToken(_ header: String) -> Substring? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return parts[1]
    }

    /// `429` when `client` is over its request rate (its named key's, else the global one).
    func limitRate(_ client: Client) -> APIError? {
        let key = client.keyName.flatMap { namedKeys[$0] }
        let perMinute = key?.requestsPerMinute ?? limits.requestsPerMinute
        guard perMinute > 0 else { return nil }
        let now = clock()
        let wait: Double? = buckets.withLock { table in
            if table[client.id] == nil && table.count >= Self.maxTrackedClients {
                // Forget the fullest buckets first: they are the clients that have not been seen for longest.
                if let stale = table.max(by: { $0.value.tokens < $1.value.tokens })?.key { table[stale] = nil }
            }
            var bucket = table[client.id] ?? TokenBucket(capacity: Double(limits.burst),
                                                        ratePerSecond: Double(perMinute) / 60, now: now)
            let wait = bucket.take(now: now)
            table[client.id] = bucket
            return wait
        }
        guard let wait else { return nil }
        let seconds = Int(wait.rounded(.up))
        let whose = key.map { "the key '\($0.name)'" } ?? "this client"
        return APIError(status: .tooManyRequests, type: "rate_limit_error", code: "rate_limited",
                        message: "too many requests: the limit for \(whose) is \(perMinute) per minute; retry in \(seconds) s",
                        headers: [("Retry-After", String(max(1, seconds)))])
    }

    /// `nil` when the request's key may use `model` (its canonical name), else the `403` naming it.
    func checkModel(_ request: HTTPRequest, model: String, requested: String) -> APIError? {
        guard let name = request.keyName, let allowed = namedKeys[name]?.models, !allowed.contains(model) else { return nil }
        return APIError(status: .forbidden, type: "permission_error", code: "model_not_allowed",
                        message: "the API key '\(name)' may not use the model '\(requested.prefix(100))'; allowed: \(allowed.sorted().joined(separator: ", "))")
    }

    /// `true` when the request's key may use the model with this canonical name.
    func allowsModel(_ request: HTTPRequest, model: String) -> Bool {
        guard let name = request.keyName, let allowed = namedKeys[name]?.models else { return true }
        return allowed.contains(model)
    }

    /// Takes a stream slot for the request's client: `429` past the per-client bound (the named
    /// key's `max_streams` when it has one), `503` past the server's.
    func acquireStream(for request: HTTPRequest) -> Result<StreamSlot, APIError> {
        let client = request.clientID
        let perClient = request.keyName.flatMap { namedKeys[$0]?.maxStreams } ?? limits.maxStreamsPerClient
        let outcome: APIError? = streams.withLock { state in
            if limits.maxStreams > 0 && state.total >= limits.maxStreams {
                return APIError(status: .serviceUnavailable, type: "server_error", code: "too_many_streams",
                                message: "the server is at its limit of \(limits.maxStreams) open streams; retry shortly",
                                headers: [("Retry-After", "1")])
            }
            let mine = state.perClient[client, default: 0]
            if perClient > 0 && mine >= perClient {
                return APIError(status: .tooManyRequests, type: "rate_limit_error", code: "too_many_streams_for_client",
                                message: "this client already has \(mine) open streams (limit \(perClient))",
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
