import RedisClient
import RelayTracing
import SparkCodec

/// Every key of the configuration file, in the order of `Config/relay.json`: the one place a
/// setting's name, bounds, default (from `RelayConfiguration`) and description are written.
extension ConfigSetting {
    /// The sections of the file, in order.
    static let sections = ["server", "http", "log", "upstream", "stream", "auth", "cors", "limits", "cluster", "tracing"]

    /// Every key, section by section.
    static var all: [ConfigSetting] {
        [
            // server
            .string("server.host", \.server.host, "address to listen on: an IPv4 or IPv6 literal, or `localhost`"),
            .int("server.port", \.server.port, 0...65535, "TCP port; `0` picks a free one (the first log line names it)"),
            .int("server.event_loops", \.server.eventLoops, 0...256, "event loops (one serial queue and epoll poller each); `0` = one per core"),
            .string("server.public_dir", \.server.publicDirectory, "directory served at `/` (relative: to the working directory)"),
            .int("server.max_connections", \.server.maxConnections, 1...1_000_000, "open connections at most; past it new connections get `503`"),
            .int("server.backlog", \.server.backlog, 1...65535, "connections the kernel queues before `accept`"),
            .seconds("server.drain_timeout", \.server.drainTimeout, 0...3600, "after SIGTERM/SIGINT, how long in-flight requests and streams may finish"),
            .strings("server.trusted_proxies", \.server.trustedProxies,
                     "proxies (addresses, CIDR ranges) whose `X-Forwarded-For` names the client; empty: the peer is the client") {
                IPNetwork($0) == nil ? "'\($0.prefix(64))' is not an IP address or CIDR range (such as 127.0.0.1, 10.0.0.0/8 or fd00::/8)" : nil
            },
            // http
            .int("http.max_request_line_bytes", \.http.maxRequestLineBytes, 256...1_048_576, "longest request line; `414` past it"),
            .int("http.max_header_bytes", \.http.maxHeaderBytes, 256...1_048_576, "header section size; `431` past it"),
            .int("http.max_header_count", \.http.maxHeaderCount, 1...10_000, "header fields; `431` past it"),
            .int("http.max_body_bytes", \.http.maxBodyBytes, 0...1_073_741_824, "request body; `413` past it"),
            .seconds("http.header_read_timeout", \.http.headerReadTimeout, 0.01...3600, "a request head must arrive within this of its first byte (`408`)"),
            .seconds("http.body_read_timeout", \.http.bodyReadTimeout, 0.01...3600, "a request body must arrive within this after its head (`408`)"),
            .seconds("http.idle_timeout", \.http.idleTimeout, 0.01...86400, "an idle keep-alive connection is closed after this"),
            .int("http.write_buffer_bytes", \.http.writeBufferBytes, 1024...67_108_864, "output buffered per connection before a stream is back-pressured"),
            .int("http.max_pipelined_bytes", \.http.maxPipelinedBytes, 1024...67_108_864, "pipelined input buffered while a response is in progress before reading pauses"),
            .seconds("http.linger_timeout", \.http.lingerTimeout, 0...60, "after an error response, how long to drain the client's input before closing"),
            // log
            .string("log.level", \.log.level, "least severe level logged", values: LogLevelName.all.map { "`\($0)`" }.joined(separator: ", ")) {
                LogLevelName.parse($0) == nil ? "must be one of \(LogLevelName.all.joined(separator: ", ")), got '\($0)'" : nil
            },
            .bool("log.access_log", \.log.accessLog, "one line per request (method, route, status, bytes, duration, client, key name)"),
            .choice("log.format", \.log.format, "`text` (key=value lines, for people) or `json` (one object per line, for log shippers)"),
            .optionalString("log.usage_file", \.log.usageFile, "the usage file: one JSON line per chat request that reached Spark (README, \"Keys, budgets and usage\"); `null` = off; reopened on SIGHUP", values: "path or `null`") {
                $0.isEmpty ? "must be a path, or null to turn the usage file off" : nil
            },
            .int("log.usage_file_max_bytes", \.log.usageFileMaxBytes, 0...1_099_511_627_776, "the usage file is rotated (`file` → `file.1` …) before a record takes it past this size; `0` = never (rotate with SIGHUP)"),
            .int("log.usage_file_keep", \.log.usageFileKeep, 0...1000, "rotated usage files kept"),
            .int("log.usage_queue_records", \.log.usageQueueRecords, 1...10_000_000, "usage records waiting for the disk at most (more are dropped and counted in `relay_usage_records_lost_total`)"),
            // upstream
            .choice("upstream.mode", \.upstream.mode, "`auto`: Spark when the three credentials (or `SPARK_API_PASSWORD`) are set, else the built-in simulator"),
            .string("upstream.spark_base_url", \.upstream.sparkBaseURL, "replaces scheme, host and port of every model URL (each model keeps its path); `ws://` allowed"),
            .choice("upstream.protocol", \.upstream.sparkProtocol, "how the relay talks to Spark for models that name no `protocol`: the signed WebSocket, or the OpenAI-style HTTP API (function calling, X1.5 thinking, `response_format`)"),
            .string("upstream.spark_http_base_url", \.upstream.sparkHTTPBaseURL, "scheme, host, port (and an optional path prefix) of Spark's HTTP API; each model keeps its HTTP path; `http://` allowed"),
            .optionalString("upstream.ca_file", \.upstream.caFile, "extra PEM CA bundle trusted for the upstream TLS", values: "path", shipped: false),
            .optionalString("upstream.app_id", \.upstream.appID, "Spark app id (prefer `SPARK_APP_ID`; keep such a file out of the repository)", shipped: false),
            .optionalString("upstream.api_key", \.upstream.apiKey, "Spark API key (prefer `SPARK_API_KEY`)", shipped: false),
            .optionalString("upstream.api_secret", \.upstream.apiSecret, "Spark API secret (prefer `SPARK_API_SECRET`)", shipped: false),
            .optionalString("upstream.api_password", \.upstream.apiPassword, "the HTTP API's APIPassword (prefer `SPARK_API_PASSWORD`); without it HTTP requests use `api_key:api_secret`", shipped: false),
            .seconds("upstream.connect_timeout", \.upstream.connectTimeout, 0.01...600, "DNS plus TCP connect to Spark"),
            .seconds("upstream.handshake_timeout", \.upstream.handshakeTimeout, 0.01...600, "TLS plus the WebSocket upgrade"),
            .seconds("upstream.first_frame_timeout", \.upstream.firstFrameTimeout, 0.01...3600, "from the request frame to Spark's first frame"),
            .seconds("upstream.idle_timeout", \.upstream.idleTimeout, 0.01...3600, "longest silence between two frames (paused while a slow reader catches up)"),
            .int("upstream.max_message_bytes", \.upstream.maxMessageBytes, 1024...268_435_456, "largest WebSocket message accepted from Spark"),
            .string("upstream.default_model", \.upstream.defaultModel, "model for requests that name none"),
            .string("upstream.x1_domain", \.upstream.x1Domain, "`domain` sent for the `x1` model (iFlytek's X1.5 SDK sends `spark-x`)"),
            .objects("upstream.models", \.upstream.models, fields: #"{"name","path"?,"domain"?,"aliases"?,"max_tokens"?,"protocol"?,"http_path"?}"#,
                     "extra models, or overrides of built-in ones by name", entry: modelEntry),
            .seconds("upstream.simulator_chunk_delay", \.upstream.simulatorChunkDelay, 0...60, "delay between chunks of the embedded simulator"),
            .int("upstream.app_max_concurrency", \.upstream.appMaxConcurrency, 0...100_000, "conversations at once per Spark app (`0` = unlimited); Spark answers 11203 past its licence"),
            .int("upstream.app_max_qps", \.upstream.appMaxQPS, 0...100_000, "new conversations per second per Spark app (`0` = unlimited); Spark answers 11202 past its QPS"),
            .seconds("upstream.queue_timeout", \.upstream.queueTimeout, 0...60, "how long a request may wait for a free Spark app before `429`"),
            .int("upstream.max_queued", \.upstream.maxQueued, 0...1_000_000, "requests waiting for a free Spark app at most (`429` past it)"),
            .seconds("upstream.failover_cooloff", \.upstream.failoverCooloff, 0...86400, "how long an app that failed authentication or hit a quota or rate error is left out"),
            .objects("upstream.credentials", \.upstream.additionalCredentials, fields: #"{"app_id","api_key","api_secret","api_password"?}"#,
                     "more Spark apps for the credential pool (the environment's app comes first)", entry: credentialEntry),
            // stream
            .seconds("stream.heartbeat_interval", \.stream.heartbeatInterval, 0.01...3600, "a `: ping` comment after this much silence"),
            .int("stream.retry_ms", \.stream.retryMilliseconds, 0...3_600_000, "the `retry:` delay told to `EventSource`, in milliseconds (keep it under the grace)"),
            .seconds("stream.reconnect_grace", \.stream.reconnectGrace, 0...3600, "a ticket stream's upstream keeps running this long after its reader left"),
            .seconds("stream.replay_window", \.stream.replayWindow, 0...86400, "a finished stream stays replayable this long"),
            .seconds("stream.ticket_ttl", \.stream.ticketTTL, 0.01...86400, "a `POST /chat` ticket waits this long for its first `GET`"),
            .int("stream.replay_buffer_bytes", \.stream.replayBufferBytes, 1024...1_073_741_824, "replay buffer per stream"),
            .int("stream.replay_total_bytes", \.stream.replayTotalBytes, 1024...68_719_476_736, "replay buffers of all streams together"),
            // auth
            .bool("auth.enabled", \.auth.enabled, "require `Authorization: Bearer <key>` on the API endpoints"),
            .strings("auth.api_key_hashes", \.auth.apiKeyHashes, "SHA-256 (lowercase hex) of each accepted key: `printf %s KEY | sha256sum`") {
                isSHA256Hex($0) ? nil : "must be a lowercase hex SHA-256 (64 characters); generate it with: printf %s KEY | sha256sum"
            },
            .objects("auth.keys", \.auth.keys, fields: #"{"name","sha256","requests_per_minute"?,"max_streams"?,"models"?,"budget"?:{"tokens"?,"requests"?,"period"}}"#,
                     "named keys with their own limits, models and budget (README, \"Keys, budgets and usage\"); the name (never the key) is logged", entry: clientKey),
            .strings("auth.admin_keys", \.auth.adminKeyHashes, "SHA-256 (lowercase hex) of each admin key, for `GET /admin/usage` (every key's use); must not be a client key's") {
                isSHA256Hex($0) ? nil : "must be a lowercase hex SHA-256 (64 characters); generate it with: printf %s KEY | sha256sum"
            },
            .string("auth.budget_utc_offset", \.auth.budgetUTCOffset, "budget periods (`day`, `month`) start at midnight in this offset from UTC, `+HH:MM` or `-HH:MM` (`+08:00` for China)") {
                BudgetWindow.parseOffset($0) == nil ? "must be +HH:MM or -HH:MM (hours 00 to 14), got '\($0.prefix(20))'" : nil
            },
            .choice("auth.budget_when_engine_down", \.auth.budgetWhenEngineDown, "with `cluster.engine` `redis`, whether keys with a budget are refused (`closed`: `503 budget_unavailable`) or served uncounted (`open`) while Redis is unreachable; the memory engine is never down"),
            // cors
            .strings("cors.allowed_origins", \.cors.allowedOrigins, "origins allowed cross-origin (`https://app.example.com`; `*` = any, without credentials)"),
            .bool("cors.allow_credentials", \.cors.allowCredentials, "send `Access-Control-Allow-Credentials: true` (exact origins only)"),
            .int("cors.max_age", \.cors.maxAge, 0...86400, "how long browsers may cache a preflight answer, in seconds"),
            // limits
            .int("limits.requests_per_minute", \.limits.requestsPerMinute, 0...1_000_000, "requests per minute per client (key, or address when keys are off); `0` = unlimited"),
            .int("limits.burst", \.limits.burst, 1...1_000_000, "requests a client may make at once above the steady rate"),
            .int("limits.max_streams_per_client", \.limits.maxStreamsPerClient, 0...1_000_000, "streams one client may hold open (`429` past it); `0` = unlimited"),
            .int("limits.max_streams", \.limits.maxStreams, 0...10_000_000, "streams open on this relay (`503` past it); `0` = unlimited"),
            // cluster
            .choice("cluster.engine", \.cluster.engine, "where shared stream state lives: this process, or Redis for a fleet"),
            .string("cluster.redis_url", \.cluster.redisURL, "`redis://[user@]host:port/db` or `rediss://` (TLS); password from `SPARK_RELAY_REDIS_PASSWORD`",
                    check: redisURLProblem),
            .optionalString("cluster.redis_ca_file", \.cluster.redisCAFile, "extra PEM CA bundle trusted for `rediss://`", values: "path or `null`") {
                $0.isEmpty ? "must be a path to a PEM file, or null" : nil
            },
            .optionalString("cluster.instance_id", \.cluster.instanceID, "this relay's name in Redis; `null` = generated at start",
                            check: instanceIDProblem),
            .seconds("cluster.follow_poll_interval", \.cluster.followPollInterval, 0.005...5, "how often a reader of a stream owned elsewhere polls Redis"),
            .seconds("cluster.redis_command_timeout", \.cluster.redisCommandTimeout, 0.01...60, "a Redis command slower than this counts as failed (the engine degrades)"),
            .seconds("cluster.heartbeat_interval", \.cluster.heartbeatInterval, 0.1...60, "how often this relay says it is alive; three missed beats and it is gone"),
            .seconds("cluster.lease_ttl", \.cluster.leaseTTL, 1...3600, "fleet-wide leases of a relay that stopped renewing them expire after this"),
            // tracing
            .optionalString("tracing.otlp_endpoint", \.tracing.otlpEndpoint, "the OpenTelemetry collector's OTLP/HTTP endpoint (README, \"Tracing\"); a URL without a path gets `/v1/traces`; `null` = tracing off",
                            values: "`http://` or `https://` URL, or `null`") {
                OTLPEndpoint(url: $0) == nil ? "must be an http:// or https:// URL such as http://127.0.0.1:4318, got '\($0.prefix(80))'" : nil
            },
            .objects("tracing.headers", \.tracing.headers, fields: #"{"name","value"}"#,
                     "header fields sent with every export (a collector's `Authorization`; prefer `SPARK_RELAY_TRACING_HEADERS`); never logged", entry: tracingHeader),
            .string("tracing.service_name", \.tracing.serviceName, "`service.name` of the relay's spans") {
                $0.isEmpty || $0.utf8.count > 128 ? "must be 1 to 128 bytes" : nil
            },
            .number("tracing.sample_ratio", \.tracing.sampleRatio, 0...1, "the share of new traces recorded; a request with a `traceparent` follows its caller's decision"),
            .int("tracing.queue_spans", \.tracing.queueSpans, 1...1_000_000, "ended spans waiting for the collector at most; more are dropped and counted (`relay_trace_spans_total{outcome=\"dropped\"}`)"),
            .int("tracing.batch_spans", \.tracing.batchSpans, 1...100_000, "spans per export request at most"),
            .seconds("tracing.flush_interval", \.tracing.flushInterval, 0.01...3600, "the longest a span waits before it is sent"),
            .seconds("tracing.export_timeout", \.tracing.exportTimeout, 0.01...600, "one export request slower than this is abandoned (its spans counted as failed)"),
            .seconds("tracing.shutdown_timeout", \.tracing.shutdownTimeout, 0...600, "at shutdown, how long queued spans may still be sent"),
        ]
    }

    private static func redisURLProblem(_ text: String) -> String? {
        do {
            _ = try RedisURL(parsing: text)
            return nil
        } catch {
            return error.message
        }
    }

    private static func instanceIDProblem(_ text: String) -> String? {
        let valid = !text.isEmpty && text.count <= 64
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        return valid ? nil : "must be 1 to 64 characters of A-Z, a-z, 0-9, '-', '_' or '.', or null to generate one"
    }

    static func isSHA256Hex(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// One `upstream.models[]` entry.
    private static func modelEntry(_ entry: inout ConfigReader, _ prefix: String) throws(ConfigError) -> RelayConfiguration.ModelEntry {
        guard let name = try entry.string("name"), !name.isEmpty else {
            throw ConfigError(key: "\(prefix).name", message: "is required")
        }
        let path = try entry.string("path")
        if let path, !path.hasPrefix("/") {
            throw ConfigError(key: "\(prefix).path", message: "must start with '/'")
        }
        let httpPath = try entry.string("http_path")
        if let httpPath, !httpPath.hasPrefix("/") {
            throw ConfigError(key: "\(prefix).http_path", message: "must start with '/'")
        }
        var sparkProtocol: SparkProtocol?
        if let text = try entry.string("protocol") {
            guard let value = SparkProtocol(rawValue: text) else {
                throw ConfigError(key: "\(prefix).protocol", message: "must be websocket or http, got '\(text.prefix(40))'")
            }
            sparkProtocol = value
        }
        return RelayConfiguration.ModelEntry(name: name, domain: try entry.string("domain"), path: path,
                                             aliases: try entry.stringArray("aliases") ?? [],
                                             maxTokens: try entry.int("max_tokens", range: 1...1_000_000),
                                             sparkProtocol: sparkProtocol, httpPath: httpPath)
    }

    /// One `tracing.headers[]` entry.
    private static func tracingHeader(_ entry: inout ConfigReader, _ prefix: String) throws(ConfigError) -> RelayConfiguration.Tracing.Header {
        guard let name = try entry.string("name") else { throw ConfigError(key: "\(prefix).name", message: "is required") }
        if let problem = TracingHeaders.nameProblem(name) { throw ConfigError(key: "\(prefix).name", message: problem) }
        guard let value = try entry.string("value") else { throw ConfigError(key: "\(prefix).value", message: "is required") }
        if let problem = TracingHeaders.valueProblem(value) { throw ConfigError(key: "\(prefix).value", message: problem) }
        return RelayConfiguration.Tracing.Header(name: name, value: value)
    }

    /// One `upstream.credentials[]` entry.
    private static func credentialEntry(_ entry: inout ConfigReader, _ prefix: String) throws(ConfigError) -> RelayConfiguration.CredentialEntry {
        func required(_ key: String) throws(ConfigError) -> String {
            guard let value = try entry.string(key), !value.isEmpty else {
                throw ConfigError(key: "\(prefix).\(key)", message: "is required")
            }
            return value
        }
        return RelayConfiguration.CredentialEntry(appID: try required("app_id"), apiKey: try required("api_key"),
                                                  apiSecret: try required("api_secret"), apiPassword: try entry.string("api_password"))
    }

    /// One `auth.keys[]` entry.
    private static func clientKey(_ entry: inout ConfigReader, _ prefix: String) throws(ConfigError) -> RelayConfiguration.ClientKey {
        guard let name = try entry.string("name") else { throw ConfigError(key: "\(prefix).name", message: "is required") }
        guard RelayConfiguration.ClientKey.isValidName(name) else {
            throw ConfigError(key: "\(prefix).name", message: "must be 1 to 64 letters, digits, '.', '_' or '-', got '\(name.prefix(80))'")
        }
        guard let hash = try entry.string("sha256") else {
            throw ConfigError(key: "\(prefix).sha256", message: "is required: the key's SHA-256 (printf %s KEY | sha256sum)")
        }
        guard isSHA256Hex(hash) else {
            throw ConfigError(key: "\(prefix).sha256", message: "must be a lowercase hex SHA-256 (64 characters); generate it with: printf %s KEY | sha256sum")
        }
        var key = RelayConfiguration.ClientKey(name: name, sha256: hash)
        key.requestsPerMinute = try entry.int("requests_per_minute", range: 0...1_000_000)
        key.maxStreams = try entry.int("max_streams", range: 0...1_000_000)
        if let models = try entry.stringArray("models") {
            guard !models.isEmpty else {
                throw ConfigError(key: "\(prefix).models", message: "must list at least one model (leave it out to allow every model)")
            }
            key.models = models
        }
        if var budget = try entry.section("budget") {
            let tokens = try budget.int("tokens", range: 0...Int(Int64.max / 2))
            let requests = try budget.int("requests", range: 0...Int(Int64.max / 2))
            guard let periodText = try budget.string("period") else {
                throw ConfigError(key: "\(prefix).budget.period", message: "is required: day, month or total")
            }
            guard let period = KeyBudget.Period(rawValue: periodText) else {
                throw ConfigError(key: "\(prefix).budget.period", message: "must be day, month or total, got '\(periodText.prefix(40))'")
            }
            guard tokens != nil || requests != nil else {
                throw ConfigError(key: "\(prefix).budget", message: "needs \"tokens\", \"requests\" or both")
            }
            try budget.rejectUnknownKeys()
            key.budget = KeyBudget(tokens: tokens, requests: requests, period: period)
        }
        return key
    }
}
