import CoreMetrics
import Dispatch
import Prometheus
import SparkCodec
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
///
/// Label values are bounded: route patterns (never raw paths), status codes, stream-error codes,
/// configured model names and, when `auth.keys` is configured, key names (`-` for requests made
/// without a named key). Counters whose label sets are known at start are exposed at zero at once.
public final class RelayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let requestCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let errorCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let durationTimers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let outcomeCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let tokenCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    /// `true` when request and token counters carry a `key` label (named keys are configured).
    let labelsByKey: Bool
    /// The `key` label value of requests made without a named key.
    static let noKey = "-"
    let chunksRelayed: CoreMetrics.Counter
    let bytesRelayed: CoreMetrics.Counter
    let cancelsOnDisconnect: CoreMetrics.Counter
    let resumes: CoreMetrics.Counter
    let replayedEvents: CoreMetrics.Counter
    let streamsStarted: CoreMetrics.Counter
    /// Upstream conversations opened, by protocol (`websocket`, `http`), failover attempts included.
    private let conversationsByProtocol: [SparkProtocol: CoreMetrics.Counter]
    /// Failed `accept` calls (out of descriptors or memory): each one pauses accepting.
    let acceptErrors: CoreMetrics.Counter
    let timeToFirstFrame: CoreMetrics.Timer
    let upstreamHandshake: CoreMetrics.Timer
    /// Upstream TLS handshakes that resumed an earlier session, and full ones.
    let upstreamTLSResumed: CoreMetrics.Counter
    let upstreamTLSFull: CoreMetrics.Counter
    private let stateGauges = Mutex<[@Sendable () -> [GaugeSample]]>([])
    /// Running totals kept elsewhere, and the value each counter showed at the last scrape.
    private let counterTotals = Mutex<(sources: [@Sendable () -> [GaugeSample]], shown: [String: Double])>(([], [:]))

    /// `labelsByKey`: add the `key` label to request and token counters (when `auth.keys` is set).
    public init(labelsByKey: Bool = false) {
        self.labelsByKey = labelsByKey
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                          .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                          .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        let headBuckets: [Duration] = [.microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
                                       .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                       .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                       .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        factory.durationHistogramBuckets = ["relay_upstream_handshake_seconds": latencyBuckets,
                                            "relay_time_to_first_token_seconds": latencyBuckets,
                                            "relay_http_request_duration_seconds": headBuckets]
        self.factory = factory
        chunksRelayed = Counter(label: "relay_chunks_relayed_total", factory: factory)
        bytesRelayed = Counter(label: "relay_bytes_relayed_total", factory: factory)
        cancelsOnDisconnect = Counter(label: "relay_cancels_on_disconnect_total", factory: factory)
        resumes = Counter(label: "relay_resumes_total", factory: factory)
        replayedEvents = Counter(label: "relay_replayed_events_total", factory: factory)
        streamsStarted = Counter(label: "relay_streams_started_total", factory: factory)
        var conversations: [SparkProtocol: CoreMetrics.Counter] = [:]
        for sparkProtocol in SparkProtocol.allCases {
            conversations[sparkProtocol] = Counter(label: "relay_upstream_conversations_total",
                                                   dimensions: [("protocol", sparkProtocol.rawValue)], factory: factory)
        }
        conversationsByProtocol = conversations
        acceptErrors = Counter(label: "relay_accept_errors_total", factory: factory)
        timeToFirstFrame = Timer(label: "relay_time_to_first_token_seconds", preferredDisplayUnit: .seconds, factory: factory)
        upstreamHandshake = Timer(label: "relay_upstream_handshake_seconds", preferredDisplayUnit: .seconds, factory: factory)
        upstreamTLSResumed = Counter(label: "relay_upstream_tls_handshakes_total", dimensions: [("resumed", "true")], factory: factory)
        upstreamTLSFull = Counter(label: "relay_upstream_tls_handshakes_total", dimensions: [("resumed", "false")], factory: factory)
    }

    /// One answered request, by route pattern (never the raw path: bounded cardinality), status
    /// and, with named keys, the key's name.
    func request(route: String, method: String, status: Int, key: String?) {
        Self.counter(in: requestCounters, "relay_http_requests_total", requestDimensions(route: route, method: method, status: status, key: key),
                     factory).increment()
    }

    private func requestDimensions(route: String, method: String, status: Int, key: String?) -> [(String, String)] {
        var dimensions = [("route", route), ("method", method), ("status", String(status))]
        if labelsByKey { dimensions.append(("key", key ?? Self.noKey)) }
        return dimensions
    }

    /// Time from a request's arrival to its response head, by route pattern.
    func requestHeadWritten(route: String, nanoseconds: UInt64) {
        let timer = durationTimers.withLock { table in
            if let existing = table[route] { return existing }
            let made = Timer(label: "relay_http_request_duration_seconds", dimensions: [("route", route)],
                             preferredDisplayUnit: .seconds, factory: factory)
            table[route] = made
            return made
        }
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// An upstream conversation was opened over `sparkProtocol`.
    func conversationOpened(_ sparkProtocol: SparkProtocol) {
        conversationsByProtocol[sparkProtocol]?.increment()
    }

    /// A request refused by its key's budget (bounded by the configured keys): `budget_exceeded`, or
    /// `budget_unavailable` while the shared store that counts it is unreachable.
    func budgetRejected(key: String, reason: String) {
        Self.counter(in: errorCounters, "relay_budget_rejections_total", [("key", key), ("reason", reason)], factory).increment()
    }

    /// A usage record that did not reach the usage file (`queue_full`, `write_failed`).
    func usageRecordLost(_ reason: String) {
        Self.counter(in: errorCounters, "relay_usage_records_lost_total", [("reason", reason)], factory).increment()
    }

    /// A stream ended: `done`, or the code of its `stream-error`.
    func streamFinished(outcome: String) {
        Self.counter(in: outcomeCounters, "relay_streams_finished_total", [("outcome", outcome)], factory).increment()
    }

    /// Spark's token usage of one finished conversation.
    func tokens(model: String, key: String?, prompt: Int, completion: Int) {
        for (kind, count) in [("prompt", prompt), ("completion", completion)] where count >= 0 {
            Self.counter(in: tokenCounters, "relay_tokens_total", tokenDimensions(model: model, kind: kind, key: key), factory)
                .increment(by: Int64(count))
        }
    }

    private func tokenDimensions(model: String, kind: String, key: String?) -> [(String, String)] {
        var dimensions = [("model", model), ("kind", kind)]
        if labelsByKey { dimensions.append(("key", key ?? Self.noKey)) }
        return dimensions
    }

    /// The stream outcomes of the relay's own (every Spark error code appears once it happens).
    static let relayOutcomes = ["done", "client_disconnected", "replay_buffer_full", "upstream_busy",
                                "upstream_unreachable", "upstream_tls_error", "upstream_unauthorized", "upstream_clock_skew",
                                "upstream_forbidden", "upstream_not_found", "upstream_handshake_failed",
                                "upstream_timeout_connect", "upstream_timeout_handshake", "upstream_timeout_first_frame",
                                "upstream_timeout_idle", "upstream_protocol_error", "upstream_malformed_frame", "upstream_closed"]

    /// Creates the series whose label sets are known at start, so that they read 0 before anything
    /// happened: request durations per route; requests per route and method with the status the
    /// route answers on success (and per key); the relay's own stream outcomes and upstream error
    /// codes; tokens per model and kind (and key). Other statuses and Spark's numeric codes appear
    /// when they first happen (the unlabelled counters exist from `init`).
    func prepare(routes: [String], requests: [(route: String, method: String, status: Int)], models: [String], keys: [String]) {
        for route in routes {
            durationTimers.withLock { table in
                if table[route] == nil {
                    table[route] = Timer(label: "relay_http_request_duration_seconds", dimensions: [("route", route)],
                                         preferredDisplayUnit: .seconds, factory: factory)
                }
            }
        }
        for outcome in Self.relayOutcomes {
            _ = Self.counter(in: outcomeCounters, "relay_streams_finished_total", [("outcome", outcome)], factory)
        }
        for code in Self.relayOutcomes where code.hasPrefix("upstream_") {
            _ = Self.counter(in: errorCounters, "relay_upstream_errors_total", [("code", code)], factory)
        }
        let keyValues: [String?] = labelsByKey ? keys + [nil] : [nil]
        for request in requests {
            for key in keyValues {
                _ = Self.counter(in: requestCounters, "relay_http_requests_total",
                                 requestDimensions(route: request.route, method: request.method, status: request.status, key: key), factory)
            }
        }
        for model in models {
            for kind in ["prompt", "completion"] {
                for key in keyValues {
                    _ = Self.counter(in: tokenCounters, "relay_tokens_total", tokenDimensions(model: model, kind: kind, key: key), factory)
                }
            }
        }
    }

    /// The counter for this name and these dimensions, made once and kept in `table`.
    private static func counter(in table: borrowing Mutex<[String: CoreMetrics.Counter]>, _ label: String,
                                _ dimensions: [(String, String)], _ factory: PrometheusMetricsFactory) -> CoreMetrics.Counter {
        var key = label
        for (name, value) in dimensions {
            key += "\u{1}"
            key += name
            key += "="
            key += value
        }
        return table.withLock { table in
            if let existing = table[key] { return existing }
            let made = Counter(label: label, dimensions: dimensions, factory: factory)
            table[key] = made
            return made
        }
    }

    /// An upstream failure by Spark code (or the relay's code for handshake/transport failures).
    func upstreamError(code: String) {
        Self.counter(in: errorCounters, "relay_upstream_errors_total", [("code", code)], factory).increment()
    }

    /// Registers a gauge source read at scrape time.
    func addStateGauges(_ source: @escaping @Sendable () -> [GaugeSample]) {
        stateGauges.withLock { $0.append(source) }
    }

    /// Registers running totals kept outside the metrics API (the trace exporter's counts), read at
    /// scrape time: each sample's counter advances by what its total grew since the last scrape.
    func addCounterTotals(_ source: @escaping @Sendable () -> [GaugeSample]) {
        counterTotals.withLock { $0.sources.append(source) }
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] {
        counterTotals.withLock { totals in
            for source in totals.sources {
                for sample in source() {
                    let key = sample.name + sample.labels.map { "\u{1}\($0.0)=\($0.1)" }.joined()
                    let grown = sample.value - (totals.shown[key] ?? 0)
                    totals.shown[key] = sample.value
                    let counter = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: sample.name, unitName: "", helpText: sample.help),
                                                       labels: sample.labels)
                    if grown > 0 { counter.increment(by: Int64(grown)) }
                }
            }
        }
        for source in stateGauges.withLock({ $0 }) {
            for sample in source() {
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: sample.name, unitName: "", helpText: sample.help), labels: sample.labels).set(sample.value)
            }
        }
        return registry.emitToBuffer()
    }
}
