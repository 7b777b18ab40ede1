import Logging
import RelayIO

extension RelayApplication {
    /// The engine `cluster.engine` names; the Redis engine connects on `start()`.
    static func makeEngine(_ configuration: RelayConfiguration, loops: [EventLoop], logger: Logger,
                           metrics: RelayMetrics) throws -> any StreamEngine {
        switch configuration.cluster.engine {
        case .memory:
            return MemoryStreamEngine()
        case .redis:
            let engine = try RedisStreamEngine(cluster: configuration.cluster, settings: configuration.stream, loops: loops,
                                               logger: logger, relayMetrics: metrics)
            let url = try configuration.cluster.resolvedRedisURL()
            logger.info("cluster engine redis", metadata: ["engine.instance": "\(engine.instanceID)", "redis": "\(url)"])
            return engine
        }
    }

    /// With the Redis engine, `upstream.app_max_concurrency`/`app_max_qps` and the per-client
    /// request rate and concurrent streams hold for the whole fleet.
    static func attachFleetLimits(_ engine: any StreamEngine, upstream: UpstreamSettings, gate: ClientGate,
                                  configuration: RelayConfiguration) {
        guard let redis = engine as? RedisStreamEngine else { return }
        let clients = RedisClientLimiter(engine: redis)
        redis.clientLimiter = clients
        gate.attachFleetLimiter(clients)
        guard configuration.upstream.appMaxConcurrency > 0 || configuration.upstream.appMaxQPS > 0 else { return }
        let limiter = RedisAppLimiter(engine: redis, maxConcurrency: configuration.upstream.appMaxConcurrency,
                                      maxQPS: configuration.upstream.appMaxQPS)
        redis.appLimiter = limiter
        upstream.pool.attachFleetLimiter(limiter)
    }

    /// `/healthz`'s `engine` and `engine_status`.
    static func engineState(_ engine: any StreamEngine) -> (engine: String, status: String?) {
        switch engine.kind {
        case .memory: ("memory", nil)
        case .redis: ("redis", engine.isDegraded ? "degraded" : "ok")
        }
    }

    /// This relay's name in the shared engine (`nil` with the memory engine).
    public var instanceID: String? { (engine as? RedisStreamEngine)?.instanceID }
}
