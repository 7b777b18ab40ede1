import RedisClient

/// Which engine holds shared stream state (`cluster.engine`).
public enum ClusterEngineKind: String, Sendable, Equatable, CaseIterable {
    /// Everything in this process: one relay, nothing to install (the default).
    case memory
    /// Tickets, event logs and liveness in Redis: several relays behind a load balancer.
    case redis
}

extension RelayConfiguration {
    /// Scaling out (`cluster.*`): where stream state lives when several relays share the work.
    public struct Cluster: Sendable, Equatable {
        /// `memory` or `redis`.
        public var engine = ClusterEngineKind.memory
        /// `redis://[user@]host:port/db` or `rediss://…` (TLS). A password in the URL is allowed but
        /// `SPARK_RELAY_REDIS_PASSWORD` is preferred (it wins over the URL's).
        public var redisURL = "redis://127.0.0.1:6379/0"
        /// Extra PEM CA bundle trusted for `rediss://`.
        public var redisCAFile: String?
        /// This relay's name in Redis (owner of its streams); `nil` = generated at start.
        public var instanceID: String?
        /// The Redis password from `SPARK_RELAY_REDIS_PASSWORD` (never read from the file).
        public var redisPassword: String?
        /// How often a reader following a stream owned by another relay polls Redis for new events.
        public var followPollInterval = 0.05
        /// Seconds a Redis command may take before it counts as failed (the engine then degrades).
        public var redisCommandTimeout = 2.0
        /// How often this relay announces itself alive in Redis; its key lives three times as long,
        /// so a killed relay is noticed within about three intervals.
        public var heartbeatInterval = 1.0
        /// Fleet-wide Spark app leases (`upstream.app_max_concurrency`) expire this long after their
        /// relay stopped renewing them (it died); renewed on every heartbeat.
        public var leaseTTL = 10.0

        public init() {}

        /// The parsed URL with the environment's password applied (the URL was validated at load).
        public func resolvedRedisURL() throws(ConfigError) -> RedisURL {
            let url: RedisURL
            do {
                url = try RedisURL(parsing: redisURL)
            } catch {
                throw ConfigError(key: "cluster.redis_url", message: error.message)
            }
            if let redisPassword, !redisPassword.isEmpty { return url.withPassword(redisPassword) }
            return url
        }
    }
}

extension ConfigLoader {
    /// Reads the `cluster` section.
    static func loadCluster(_ root: inout ConfigReader, into config: inout RelayConfiguration) throws(ConfigError) {
        guard var cluster = try root.section("cluster") else { return }
        if let v = try cluster.string("engine") {
            guard let kind = ClusterEngineKind(rawValue: v) else {
                throw ConfigError(key: "cluster.engine", message: "must be memory or redis, got '\(v)'")
            }
            config.cluster.engine = kind
        }
        if let v = try cluster.string("redis_url") {
            do {
                _ = try RedisURL(parsing: v)
            } catch {
                throw ConfigError(key: "cluster.redis_url", message: error.message)
            }
            config.cluster.redisURL = v
        }
        if let v = try cluster.string("redis_ca_file") {
            guard !v.isEmpty else { throw ConfigError(key: "cluster.redis_ca_file", message: "must be a path to a PEM file, or null") }
            config.cluster.redisCAFile = v
        }
        if let v = try cluster.string("instance_id") {
            guard !v.isEmpty, v.count <= 64, v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw ConfigError(key: "cluster.instance_id", message: "must be 1 to 64 characters of A-Z, a-z, 0-9, '-', '_' or '.', or null to generate one")
            }
            config.cluster.instanceID = v
        }
        if let v = try cluster.seconds("follow_poll_interval", range: 0.005...5) { config.cluster.followPollInterval = v }
        if let v = try cluster.seconds("redis_command_timeout", range: 0.01...60) { config.cluster.redisCommandTimeout = v }
        if let v = try cluster.seconds("heartbeat_interval", range: 0.1...60) { config.cluster.heartbeatInterval = v }
        if let v = try cluster.seconds("lease_ttl", range: 1...3600) { config.cluster.leaseTTL = v }
        try cluster.rejectUnknownKeys()
    }

    /// Takes the Redis password from `SPARK_RELAY_REDIS_PASSWORD` when set (non-empty).
    static func applyClusterEnvironment(_ environment: [String: String], to config: inout RelayConfiguration) {
        if let v = environment["SPARK_RELAY_REDIS_PASSWORD"], !v.isEmpty { config.cluster.redisPassword = v }
    }
}
