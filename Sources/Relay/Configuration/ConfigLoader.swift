import Glibc
import RelayIO
import SparkCodec

/// Loads `RelayConfiguration` from a JSON file and the environment. Unknown keys and bad values
/// are start-up errors that name the key.
public enum ConfigLoader {
    /// The file loaded when `--config` is not given, if it exists.
    public static let defaultPath = "Config/relay.json"
    /// The largest configuration file read (a real one is a few KiB).
    public static let maxFileBytes = 4 * 1024 * 1024

    /// Parses a configuration file's bytes on top of the defaults.
    public static func load(json data: [UInt8]) throws(ConfigError) -> RelayConfiguration {
        let object: JSONValue
        do {
            object = try JSONScanner.parse(data)
        } catch {
            throw ConfigError(key: "", message: "not valid JSON (\(error))")
        }
        guard var root = ConfigReader(object) else {
            throw ConfigError(key: "", message: "the top level must be a JSON object")
        }
        var config = RelayConfiguration()
        if var server = try root.section("server") {
            if let v = try server.string("host") { config.server.host = v }
            if let v = try server.int("port", range: 0...65535) { config.server.port = v }
            if let v = try server.int("event_loops", range: 0...256) { config.server.eventLoops = v }
            if let v = try server.string("public_dir") { config.server.publicDirectory = v }
            if let v = try server.int("max_connections", range: 1...1_000_000) { config.server.maxConnections = v }
            if let v = try server.int("backlog", range: 1...65535) { config.server.backlog = v }
            if let v = try server.seconds("drain_timeout", range: 0...3600) { config.server.drainTimeout = v }
            if let v = try server.stringArray("trusted_proxies") {
                for (index, entry) in v.enumerated() where IPNetwork(entry) == nil {
                    throw ConfigError(key: "server.trusted_proxies[\(index)]",
                                      message: "'\(entry.prefix(64))' is not an IP address or CIDR range (such as 127.0.0.1, 10.0.0.0/8 or fd00::/8)")
                }
                config.server.trustedProxies = v
            }
            try server.rejectUnknownKeys()
        }
        if var http = try root.section("http") {
            if let v = try http.int("max_request_line_bytes", range: 256...1_048_576) { config.http.maxRequestLineBytes = v }
            if let v = try http.int("max_header_bytes", range: 256...1_048_576) { config.http.maxHeaderBytes = v }
            if let v = try http.int("max_header_count", range: 1...10_000) { config.http.maxHeaderCount = v }
            if let v = try http.int("max_body_bytes", range: 0...1_073_741_824) { config.http.maxBodyBytes = v }
            if let v = try http.seconds("header_read_timeout", range: 0.01...3600) { config.http.headerReadTimeout = v }
            if let v = try http.seconds("body_read_timeout", range: 0.01...3600) { config.http.bodyReadTimeout = v }
            if let v = try http.seconds("idle_timeout", range: 0.01...86400) { config.http.idleTimeout = v }
            if let v = try http.int("write_buffer_bytes", range: 1024...67_108_864) { config.http.writeBufferBytes = v }
            if let v = try http.int("max_pipelined_bytes", range: 1024...67_108_864) { config.http.maxPipelinedBytes = v }
            if let v = try http.seconds("linger_timeout", range: 0...60) { config.http.lingerTimeout = v }
            try http.rejectUnknownKeys()
        }
        if var log = try root.section("log") {
            if let v = try log.string("level") {
                guard LogLevelName.parse(v) != nil else {
                    throw ConfigError(key: "log.level", message: "must be one of \(LogLevelName.all.joined(separator: ", ")), got '\(v)'")
                }
                config.log.level = v
            }
            if let v = try log.bool("access_log") { config.log.accessLog = v }
            if let v = try log.string("format") {
                guard let format = LogFormat(rawValue: v) else {
                    throw ConfigError(key: "log.format", message: "must be \(LogFormat.names), got '\(v)'")
                }
                config.log.format = format
            }
            try log.rejectUnknownKeys()
        }
        if var upstream = try root.section("upstream") {
            if let v = try upstream.string("mode") {
                guard let mode = UpstreamMode(rawValue: v) else {
                    throw ConfigError(key: "upstream.mode", message: "must be auto, spark or simulator, got '\(v)'")
                }
                config.upstream.mode = mode
            }
            if let v = try upstream.string("spark_base_url") { config.upstream.sparkBaseURL = v }
            if let v = try upstream.string("ca_file") { config.upstream.caFile = v }
            if let v = try upstream.string("app_id") { config.upstream.appID = v }
            if let v = try upstream.string("api_key") { config.upstream.apiKey = v }
            if let v = try upstream.string("api_secret") { config.upstream.apiSecret = v }
            if let v = try upstream.seconds("connect_timeout", range: 0.01...600) { config.upstream.connectTimeout = v }
            if let v = try upstream.seconds("handshake_timeout", range: 0.01...600) { config.upstream.handshakeTimeout = v }
            if let v = try upstream.seconds("first_frame_timeout", range: 0.01...3600) { config.upstream.firstFrameTimeout = v }
            if let v = try upstream.seconds("idle_timeout", range: 0.01...3600) { config.upstream.idleTimeout = v }
            if let v = try upstream.int("max_message_bytes", range: 1024...268_435_456) { config.upstream.maxMessageBytes = v }
            if let v = try upstream.string("x1_domain") { config.upstream.x1Domain = v }
            if let v = try upstream.string("default_model") { config.upstream.defaultModel = v }
            if let v = try upstream.seconds("simulator_chunk_delay", range: 0...60) { config.upstream.simulatorChunkDelay = v }
            if let v = try upstream.int("app_max_concurrency", range: 0...100_000) { config.upstream.appMaxConcurrency = v }
            if let v = try upstream.int("app_max_qps", range: 0...100_000) { config.upstream.appMaxQPS = v }
            if let v = try upstream.seconds("queue_timeout", range: 0...60) { config.upstream.queueTimeout = v }
            if let v = try upstream.int("max_queued", range: 0...1_000_000) { config.upstream.maxQueued = v }
            if let v = try upstream.seconds("failover_cooloff", range: 0...86400) { config.upstream.failoverCooloff = v }
            if let list = try upstream.objectArray("credentials") {
                config.upstream.additionalCredentials = try list.enumerated().map { index, object throws(ConfigError) in
                    var entry = object
                    func required(_ key: String) throws(ConfigError) -> String {
                        guard let value = try entry.string(key), !value.isEmpty else {
                            throw ConfigError(key: "upstream.credentials[\(index)].\(key)", message: "is required")
                        }
                        return value
                    }
                    let credential = RelayConfiguration.CredentialEntry(appID: try required("app_id"), apiKey: try required("api_key"),
                                                                        apiSecret: try required("api_secret"))
                    try entry.rejectUnknownKeys()
                    return credential
                }
            }
            if let list = try upstream.objectArray("models") {
                config.upstream.models = try list.enumerated().map { index, object throws(ConfigError) in
                    var entry = object
                    guard let name = try entry.string("name"), !name.isEmpty else {
                        throw ConfigError(key: "upstream.models[\(index)].name", message: "is required")
                    }
                    guard let path = try entry.string("path"), path.hasPrefix("/") else {
                        throw ConfigError(key: "upstream.models[\(index)].path", message: "is required and must start with '/'")
                    }
                    let model = RelayConfiguration.ModelEntry(
                        name: name, domain: try entry.string("domain") ?? name, path: path,
                        aliases: try entry.stringArray("aliases") ?? [],
                        maxTokens: try entry.int("max_tokens", range: 1...1_000_000))
                    try entry.rejectUnknownKeys()
                    return model
                }
            }
            try upstream.rejectUnknownKeys()
        }
        if var stream = try root.section("stream") {
            if let v = try stream.seconds("heartbeat_interval", range: 0.01...3600) { config.stream.heartbeatInterval = v }
            if let v = try stream.int("retry_ms", range: 0...3_600_000) { config.stream.retryMilliseconds = v }
            if let v = try stream.seconds("reconnect_grace", range: 0...3600) { config.stream.reconnectGrace = v }
            if let v = try stream.seconds("replay_window", range: 0...86400) { config.stream.replayWindow = v }
            if let v = try stream.seconds("ticket_ttl", range: 0.01...86400) { config.stream.ticketTTL = v }
            if let v = try stream.int("replay_buffer_bytes", range: 1024...1_073_741_824) { config.stream.replayBufferBytes = v }
            if let v = try stream.int("replay_total_bytes", range: 1024...68_719_476_736) { config.stream.replayTotalBytes = v }
            try stream.rejectUnknownKeys()
        }
        if var auth = try root.section("auth") {
            if let v = try auth.bool("enabled") { config.auth.enabled = v }
            if let v = try auth.stringArray("api_key_hashes") {
                for (index, hash) in v.enumerated() where !isSHA256Hex(hash) {
                    throw ConfigError(key: "auth.api_key_hashes[\(index)]", message: "must be a lowercase hex SHA-256 (64 characters); generate it with: printf %s KEY | sha256sum")
                }
                config.auth.apiKeyHashes = v
            }
            if let list = try auth.objectArray("keys") {
                config.auth.keys = try list.enumerated().map { index, object throws(ConfigError) in
                    try clientKey(object, index: index)
                }
                try checkUnique(config.auth)
            }
            try auth.rejectUnknownKeys()
            if config.auth.enabled && config.auth.apiKeyHashes.isEmpty && config.auth.keys.isEmpty {
                throw ConfigError(key: "auth.api_key_hashes", message: "auth is enabled but no key is configured (auth.api_key_hashes or auth.keys)")
            }
        }
        if var cors = try root.section("cors") {
            if let v = try cors.stringArray("allowed_origins") { config.cors.allowedOrigins = v }
            if let v = try cors.bool("allow_credentials") { config.cors.allowCredentials = v }
            if let v = try cors.int("max_age", range: 0...86400) { config.cors.maxAge = v }
            try cors.rejectUnknownKeys()
            if config.cors.allowCredentials && config.cors.allowedOrigins.contains("*") {
                throw ConfigError(key: "cors.allow_credentials", message: "credentials cannot be allowed for the wildcard origin '*'")
            }
        }
        if var limits = try root.section("limits") {
            if let v = try limits.int("requests_per_minute", range: 0...1_000_000) { config.limits.requestsPerMinute = v }
            if let v = try limits.int("burst", range: 1...1_000_000) { config.limits.burst = v }
            if let v = try limits.int("max_streams_per_client", range: 0...1_000_000) { config.limits.maxStreamsPerClient = v }
            if let v = try limits.int("max_streams", range: 0...10_000_000) { config.limits.maxStreams = v }
            try limits.rejectUnknownKeys()
        }
        try loadCluster(&root, into: &config)
        try root.rejectUnknownKeys()
        return config
    }

    private static func isSHA256Hex(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// One `auth.keys[index]` entry; errors name the entry and its field.
    private static func clientKey(_ object: ConfigReader, index: Int) throws(ConfigError) -> RelayConfiguration.ClientKey {
        let prefix = "auth.keys[\(index)]"
        var entry = object
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
        try entry.rejectUnknownKeys()
        return key
    }

    /// Names and hashes must be unique: a shared hash would make the key's name ambiguous.
    private static func checkUnique(_ auth: RelayConfiguration.Auth) throws(ConfigError) {
        var names: [String: Int] = [:]
        var hashes: [String: String] = [:]
        for (index, hash) in auth.apiKeyHashes.enumerated() { hashes[hash] = "auth.api_key_hashes[\(index)]" }
        for (index, key) in auth.keys.enumerated() {
            if let first = names[key.name] {
                throw ConfigError(key: "auth.keys[\(index)].name", message: "'\(key.name)' is already the name of auth.keys[\(first)]")
            }
            names[key.name] = index
            if let first = hashes[key.sha256] {
                throw ConfigError(key: "auth.keys[\(index)].sha256", message: "the same key is already configured as \(first)")
            }
            hashes[key.sha256] = "auth.keys[\(index)]"
        }
    }

    /// Loads the file at `path`.
    public static func load(path: String) throws(ConfigError) -> RelayConfiguration {
        let data: [UInt8]
        do {
            data = try FileSystem.read(path: path, limit: maxFileBytes)
        } catch .tooLarge(let limit) {
            throw ConfigError(key: "", message: "config file '\(path)' is larger than \(limit) bytes")
        } catch {
            throw ConfigError(key: "", message: "cannot read config file '\(path)'")
        }
        do {
            return try load(json: data)
        } catch {
            throw ConfigError(key: error.key, message: error.message + " (in \(path))")
        }
    }

    /// Takes Spark credentials from `SPARK_APP_ID`, `SPARK_API_KEY` and `SPARK_API_SECRET` when set
    /// (non-empty); the environment wins over the file for these three only.
    public static func applyEnvironment(_ environment: [String: String], to config: inout RelayConfiguration) {
        if let v = environment["SPARK_APP_ID"], !v.isEmpty { config.upstream.appID = v }
        if let v = environment["SPARK_API_KEY"], !v.isEmpty { config.upstream.apiKey = v }
        if let v = environment["SPARK_API_SECRET"], !v.isEmpty { config.upstream.apiSecret = v }
        applyClusterEnvironment(environment, to: &config)
    }
}
