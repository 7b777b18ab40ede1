import SparkCodec

/// Every setting of the relay with its default. `Config/relay.json` lists the same values; flags
/// override the file; credentials come from the environment or the file, never from flags.
public struct RelayConfiguration: Sendable, Equatable {
    /// Where and how the server listens.
    public struct Server: Sendable, Equatable {
        /// Address to bind: an IPv4 or IPv6 literal, or `localhost`.
        public var host = "127.0.0.1"
        /// TCP port; `0` picks a free one (the first log line names it).
        public var port = 8080
        /// Event loops (serial queues); `0` means one per core.
        public var eventLoops = 0
        /// Directory served at `/`.
        public var publicDirectory = "Public"
        /// Open connections at most; past it new connections get `503` and are closed.
        public var maxConnections = 16_384
        /// Pending connections the kernel queues before `accept`.
        public var backlog = 1024
        /// After SIGTERM/SIGINT, how long in-flight requests may run before the process exits.
        public var drainTimeout = 30.0
        /// Proxies (addresses and CIDR ranges, IPv4 and IPv6) whose `X-Forwarded-For` names the
        /// client; empty: the peer address is the client.
        public var trustedProxies: [String] = []
    }

    /// HTTP/1.1 limits and timeouts.
    public struct HTTP: Sendable, Equatable {
        /// Longest request line (method, target, version); longer targets get `414`.
        public var maxRequestLineBytes = 8 * 1024
        /// Header section size limit (`431` past it).
        public var maxHeaderBytes = 16 * 1024
        /// Header field count limit (`431` past it).
        public var maxHeaderCount = 100
        /// Request body limit (`413` past it).
        public var maxBodyBytes = 1024 * 1024
        /// A request head must arrive completely within this many seconds of its first byte (slowloris: `408`).
        public var headerReadTimeout = 10.0
        /// A request body must arrive completely within this many seconds after its head (`408`).
        public var bodyReadTimeout = 30.0
        /// An idle keep-alive connection is closed after this many seconds.
        public var idleTimeout = 60.0
        /// Output buffered per connection before a streaming response is back-pressured.
        public var writeBufferBytes = 64 * 1024
        /// Pipelined request bytes buffered while a response is in progress before reading pauses.
        public var maxPipelinedBytes = 64 * 1024
        /// After an error response, how long to drain the client's remaining input before closing.
        public var lingerTimeout = 2.0
    }

    /// Logging.
    public struct Log: Sendable, Equatable {
        /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
        public var level = "info"
        /// One line per request (method, path without query, status, bytes, duration).
        public var accessLog = true
        /// `text` (key=value lines, for people) or `json` (one object per line, for log shippers).
        public var format = LogFormat.text
        /// The usage file: one JSON line per chat request that reached Spark (`nil`: off).
        public var usageFile: String?
        /// The usage file is rotated when a record would take it past this size (`0`: never; use SIGHUP).
        public var usageFileMaxBytes = 100 * 1024 * 1024
        /// Rotated usage files kept (`file.1` … `file.N`).
        public var usageFileKeep = 5
        /// Records waiting for the disk at most (more are dropped and counted).
        public var usageQueueRecords = 10_000
    }

    /// Where chat requests go.
    public struct Upstream: Sendable, Equatable {
        /// `auto` (Spark when credentials are set, else the built-in simulator), `spark` or `simulator`.
        public var mode = UpstreamMode.auto
        /// Replaces scheme, host and port of every model URL (each model keeps its path).
        public var sparkBaseURL = "wss://spark-api.xf-yun.com"
        /// The protocol of every model that names none: Spark's WebSocket or its HTTP API.
        public var sparkProtocol = SparkProtocol.websocket
        /// Replaces scheme, host and port (and adds a path prefix) of every model's HTTP API URL.
        public var sparkHTTPBaseURL = "https://spark-api-open.xf-yun.com"
        /// Extra PEM CA bundle trusted for the upstream TLS.
        public var caFile: String?
        /// Spark credentials (usually from `SPARK_APP_ID`, `SPARK_API_KEY`, `SPARK_API_SECRET`).
        public var appID: String?
        public var apiKey: String?
        public var apiSecret: String?
        /// The HTTP API's APIPassword (usually from `SPARK_API_PASSWORD`); else `api_key:api_secret`.
        public var apiPassword: String?
        /// DNS plus TCP connect to Spark.
        public var connectTimeout = 10.0
        /// TLS plus the WebSocket upgrade.
        public var handshakeTimeout = 10.0
        /// From the request frame to Spark's first frame (Spark's first frame can be slow).
        public var firstFrameTimeout = 60.0
        /// Longest silence between two frames before the stream fails with a timeout.
        public var idleTimeout = 60.0
        /// Largest WebSocket message accepted from Spark.
        public var maxMessageBytes = 4 * 1024 * 1024
        /// Model used when a request names none.
        public var defaultModel = "generalv3.5"
        /// `domain` sent for the `x1` model (iFlytek renamed it `spark-x` with X1.5; unverified which the service wants).
        public var x1Domain = "x1"
        /// Extra models or overrides of built-in ones: name, domain, path, aliases.
        public var models: [ModelEntry] = []
        /// Chunk delay of the embedded simulator, in seconds.
        public var simulatorChunkDelay = 0.05
        /// More Spark apps for the credential pool (the environment's app comes first).
        public var additionalCredentials: [CredentialEntry] = []
        /// Concurrent conversations per Spark app (`0` = unlimited); Spark answers 11203 past its licence.
        public var appMaxConcurrency = 0
        /// New conversations per second per Spark app (`0` = unlimited); Spark answers 11202 past its QPS.
        public var appMaxQPS = 0
        /// How long a request may wait for a free Spark app before `429`.
        public var queueTimeout = 2.0
        /// Requests waiting for a free Spark app at most (`429` past it).
        public var maxQueued = 256
        /// How long an app that failed authentication or hit a quota/rate error is left out of the pool.
        public var failoverCooloff = 30.0
    }

    /// One more Spark app of the credential pool.
    public struct CredentialEntry: Sendable, Equatable {
        public var appID: String
        public var apiKey: String
        public var apiSecret: String
        /// This app's HTTP API password, when it has one.
        public var apiPassword: String?

        public init(appID: String, apiKey: String, apiSecret: String, apiPassword: String? = nil) {
            self.appID = appID
            self.apiKey = apiKey
            self.apiSecret = apiSecret
            self.apiPassword = apiPassword
        }
    }

    /// One configured model (overrides a built-in model of the same name).
    public struct ModelEntry: Sendable, Equatable {
        public var name: String
        /// `nil`: the overridden built-in's domain, else the name.
        public var domain: String?
        /// The WebSocket path; `nil` only when overriding a built-in (which keeps its own).
        public var path: String?
        public var aliases: [String]
        public var maxTokens: Int?
        /// `nil`: `upstream.protocol`.
        public var sparkProtocol: SparkProtocol?
        /// The HTTP API path; `nil`: the built-in's, else `/v1/chat/completions`.
        public var httpPath: String?

        public init(name: String, domain: String? = nil, path: String? = nil, aliases: [String] = [], maxTokens: Int? = nil,
                    sparkProtocol: SparkProtocol? = nil, httpPath: String? = nil) {
            self.name = name
            self.domain = domain
            self.path = path
            self.aliases = aliases
            self.maxTokens = maxTokens
            self.sparkProtocol = sparkProtocol
            self.httpPath = httpPath
        }
    }

    /// Streaming, resume and replay.
    public struct Stream: Sendable, Equatable {
        /// A `: ping` comment is sent after this many seconds without an event.
        public var heartbeatInterval = 15.0
        /// The `retry:` delay told to `EventSource`, in milliseconds (shorter than the grace).
        public var retryMilliseconds = 3000
        /// How long a ticket stream's upstream keeps running after its reader left, waiting for a reconnect.
        public var reconnectGrace = 10.0
        /// How long a finished stream stays replayable.
        public var replayWindow = 60.0
        /// How long a `POST /chat` ticket waits for its first `GET` before it expires.
        public var ticketTTL = 60.0
        /// Replay buffer bound per stream.
        public var replayBufferBytes = 256 * 1024
        /// Replay buffer bound for all streams together.
        public var replayTotalBytes = 256 * 1024 * 1024
    }

    /// Client API keys (off by default for the local demo).
    public struct Auth: Sendable, Equatable {
        /// Require `Authorization: Bearer <key>` on the API endpoints.
        public var enabled = false
        /// SHA-256 (lowercase hex) of each accepted key: keys themselves are never stored.
        public var apiKeyHashes: [String] = []
        /// Named keys, each with its own limits and models (beside the anonymous `apiKeyHashes`).
        public var keys: [ClientKey] = []
        /// Budget periods start at midnight in this offset from UTC (`+08:00` for China).
        public var budgetUTCOffset = "+00:00"
        /// Whether a key with a budget is served while the shared engine that counts it (Redis) is
        /// unreachable: `closed` refuses it (`503 budget_unavailable`), `open` serves it uncounted.
        public var budgetWhenEngineDown = BudgetFailureMode.closed
        /// SHA-256 (lowercase hex) of each admin key (`GET /admin/usage`); never a client key's.
        public var adminKeyHashes: [String] = []

        public init(enabled: Bool = false, apiKeyHashes: [String] = [], keys: [ClientKey] = []) {
            self.enabled = enabled
            self.apiKeyHashes = apiKeyHashes
            self.keys = keys
        }
    }

    /// One named client key (`auth.keys[]`): one per app or team, so each can be seen and capped.
    /// Its name (never the key) goes into the access log and metric labels.
    public struct ClientKey: Sendable, Equatable {
        /// Letters, digits, `.`, `_` and `-` (1 to 64): safe in log lines and metric labels.
        public var name: String
        /// SHA-256 (lowercase hex) of the key.
        public var sha256: String
        /// Overrides `limits.requests_per_minute` for this key (`0` = unlimited).
        public var requestsPerMinute: Int?
        /// Overrides `limits.max_streams_per_client` for this key (`0` = unlimited).
        public var maxStreams: Int?
        /// The models (names or aliases) this key may use; `nil`: all.
        public var models: [String]?
        /// Tokens and requests this key may use per period; `nil`: unbounded.
        public var budget: KeyBudget?

        public init(name: String, sha256: String, requestsPerMinute: Int? = nil, maxStreams: Int? = nil, models: [String]? = nil) {
            self.name = name
            self.sha256 = sha256
            self.requestsPerMinute = requestsPerMinute
            self.maxStreams = maxStreams
            self.models = models
        }

        /// `true` for a name that may label metrics and log lines.
        public static func isValidName(_ name: String) -> Bool {
            (1...64).contains(name.utf8.count)
                && name.utf8.allSatisfy { byte in
                    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                        || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                }
        }
    }

    /// Cross-origin access for browsers on other origins.
    public struct CORS: Sendable, Equatable {
        /// Exact origins allowed (`https://app.example.com`); `*` allows any origin without credentials.
        public var allowedOrigins: [String] = []
        /// Send `Access-Control-Allow-Credentials: true` (only ever with an exact origin).
        public var allowCredentials = false
        /// How long browsers may cache a preflight answer, in seconds.
        public var maxAge = 600

        public init(allowedOrigins: [String] = [], allowCredentials: Bool = false, maxAge: Int = 600) {
            self.allowedOrigins = allowedOrigins
            self.allowCredentials = allowCredentials
            self.maxAge = maxAge
        }
    }

    /// Request and stream limits (`0` = unlimited).
    public struct Limits: Sendable, Equatable {
        /// Requests per minute per client (API key, or address when keys are off): token bucket.
        public var requestsPerMinute = 0
        /// Requests a client may make at once above the steady rate.
        public var burst = 20
        /// Streams one client may hold open at once (`429` past it).
        public var maxStreamsPerClient = 0
        /// Streams open on the whole server (`503` past it).
        public var maxStreams = 10_000
    }

    public var server = Server()
    public var http = HTTP()
    public var log = Log()
    public var upstream = Upstream()
    public var stream = Stream()
    public var auth = Auth()
    public var cors = CORS()
    public var limits = Limits()
    public var cluster = Cluster()
    public var tracing = Tracing()

    public init() {}
}

/// Which upstream serves chat requests.
public enum UpstreamMode: String, Sendable, Equatable, CaseIterable {
    case auto
    case spark
    case simulator
}
