import Logging
import RelayIO

extension RelayApplication {
    /// The engine `cluster.engine` names; the Redis engine connects on `start()`.
    static func makeEngine(_ configuration: RelayConfiguration, loops: [EventLoop], streams: StreamFactory, logger: Logger,
                           metrics: RelayMetrics) throws -> any StreamEngine {
        switch configuration.cluster.engine {
        case .memory:
            return MemoryStreamEngine(streams: streams)
        case .redis:
            let engine = try RedisStreamEngine(cluster: configuration.cluster, settings: configuration.stream, loops: loops,
                                               streams: streams, logger: logger, relayMetrics: metrics)
            let url = try configuration.cluster.resolvedRedisURL()
            logger.info("cluster engine redis", metadata: ["engine.instance": "\(engine.instanceID)", "redis": "\(url)"])
            return engine
        }
    }

    /// This relay's name in the shared engine (`nil` with the memory engine).
    public var instanceID: String? { engine.fleetInstanceID }
}
