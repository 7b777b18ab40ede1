import CoreMetrics
import Prometheus
import Synchronization

/// Metrics of the shared engine, registered in the relay's Prometheus registry:
/// `relay_redis_command_duration_seconds` (one sample per pipeline round trip, by operation),
/// `relay_engine_errors_total{op}`, and the `relay_engine_up` gauge (read at scrape time).
final class EngineMetrics: Sendable {
    private let factory: PrometheusMetricsFactory
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let errors = Mutex<[String: CoreMetrics.Counter]>([:])
    /// Operations are a fixed set of names (`ticket`, `claim`, `append`, `follow`, …): bounded labels.
    static let buckets: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                      .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)]

    init(relayMetrics: RelayMetrics, isUp: @escaping @Sendable () -> Bool) {
        var factory = PrometheusMetricsFactory(registry: relayMetrics.registry)
        factory.durationHistogramBuckets = ["relay_redis_command_duration_seconds": Self.buckets]
        self.factory = factory
        relayMetrics.addStateGauges {
            [GaugeSample(name: "relay_engine_up", help: "1 while the shared stream engine (Redis) is reachable, 0 while degraded.",
                         value: isUp() ? 1 : 0)]
        }
    }

    /// One round trip of `op` that took `nanoseconds`.
    func recordCommand(op: String, nanoseconds: UInt64) {
        let timer = timers.withLock { table in
            if let existing = table[op] { return existing }
            let made = CoreMetrics.Timer(label: "relay_redis_command_duration_seconds", dimensions: [("op", op)],
                                         preferredDisplayUnit: .seconds, factory: factory)
            table[op] = made
            return made
        }
        timer.recordNanoseconds(Int64(min(nanoseconds, UInt64(Int64.max))))
    }

    /// One failed engine operation.
    func recordError(op: String) {
        let counter = errors.withLock { table in
            if let existing = table[op] { return existing }
            let made = CoreMetrics.Counter(label: "relay_engine_errors_total", dimensions: [("op", op)], factory: factory)
            table[op] = made
            return made
        }
        counter.increment()
    }
}
