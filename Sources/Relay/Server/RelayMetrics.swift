import CoreMetrics
import Dispatch
import Prometheus
import Synchronization

/// One gauge value read at scrape time.
struct GaugeSample: Sendable {
    var name: String
    var help: String
    var labels: [(String, String)] = []
    var value: Double
}

/// The relay's metrics, recorded through the swift-metrics API into a Prometheus registry owned by
/// the application (no global bootstrap, so several relays can live in one process, as in tests),
/// and rendered for `GET /metrics` in the Prometheus text format. Gauges that describe state
/// (connections, streams, replay bytes, the credential pool) are read when scraped, so the hot
/// path pays only for counters.
public final class RelayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let requestCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let errorCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    let chunksRelayed: CoreMetrics.Counter
    let bytesRelayed: CoreMetrics.Counter
    let cancelsOnDisconnect: CoreMetrics.Counter
    let resumes: CoreMetrics.Counter
    let replayedEvents: CoreMetrics.Counter
    let streamsStarted: CoreMetrics.Counter
    /// Failed `accept` calls (out of descriptors or memory): each one pauses accepting.
    let acceptErrors: CoreMetrics.Counter
    let timeToFirstFrame: CoreMetrics.Timer
    let upstreamHandshake: CoreMetrics.Timer
    private let stateGauges = Mutex<[@Sendable () -> [GaugeSample]]>([])

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                          .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                          .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        factory.durationHistogramBuckets = ["relay_upstream_handshake_seconds": latencyBuckets,
                                            "relay_time_to_first_token_seconds": latencyBuckets]
        self.factory = factory
        chunksRelayed = Counter(label: "relay_chunks_relayed_total", factory: factory)
        bytesRelayed = Counter(label: "relay_bytes_relayed_total", factory: factory)
        cancelsOnDisconnect = Counter(label: "relay_cancels_on_disconnect_total", factory: factory)
        resumes = Counter(label: "relay_resumes_total", factory: factory)
        replayedEvents = Counter(label: "relay_replayed_events_total", factory: factory)
        streamsStarted = Counter(label: "relay_streams_started_total", factory: factory)
        acceptErrors = Counter(label: "relay_accept_errors_total", factory: factory)
        timeToFirstFrame = Timer(label: "relay_time_to_first_token_seconds", preferredDisplayUnit: .seconds, factory: factory)
        upstreamHandshake = Timer(label: "relay_upstream_handshake_seconds", preferredDisplayUnit: .seconds, factory: factory)
    }

    /// One answered request, by route pattern (never the raw path: bounded cardinality) and status.
    func request(route: String, method: String, status: Int) {
        let key = "\(route) \(method) \(status)"
        let counter = requestCounters.withLock { table in
            if let existing = table[key] { return existing }
            let made = Counter(label: "relay_http_requests_total",
                               dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            table[key] = made
            return made
        }
        counter.increment()
    }

    /// An upstream failure by Spark code (or the relay's code for handshake/transport failures).
    func upstreamError(code: String) {
        let counter = errorCounters.withLock { table in
            if let existing = table[code] { return existing }
            let made = Counter(label: "relay_upstream_errors_total", dimensions: [("code", code)], factory: factory)
            table[code] = made
            return made
        }
        counter.increment()
    }

    /// Registers a gauge source read at scrape time.
    func addStateGauges(_ source: @escaping @Sendable () -> [GaugeSample]) {
        stateGauges.withLock { $0.append(source) }
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] {
        for source in stateGauges.withLock({ $0 }) {
            for sample in source() {
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: sample.name, unitName: "", helpText: sample.help), labels: sample.labels).set(sample.value)
            }
        }
        return registry.emitToBuffer()
    }
}
