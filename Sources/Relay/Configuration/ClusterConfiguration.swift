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
