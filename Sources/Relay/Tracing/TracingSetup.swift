import Logging
import RelayIO
import RelayTracing
import Tracing

/// The relay's tracer as `tracing.*` configures it: `RelayTracer` exporting to the collector with
/// `OTLPHTTPExporter` (on an event loop of its own, so a slow collector never touches a client's
/// loop), or no tracer at all while `tracing.otlp_endpoint` is unset. An embedding program may pass
/// any other `Tracer` instead; the relay's instrumentation only speaks the `Tracing` API.
struct TracingSetup: Sendable {
    /// What the server and the chat streams start spans with (`nil`: tracing off, nothing runs).
    let tracer: (any Tracer)?
    /// The exporter this setup made (flushed at shutdown; its counts go to `/metrics`).
    let exporter: OTLPHTTPExporter?

    /// Tracing off.
    static let off = TracingSetup(tracer: nil, exporter: nil)

    /// The setup for `configuration`; throws a `ConfigError` for a bad endpoint or header.
    static func make(_ configuration: RelayConfiguration.Tracing, instanceID: String?) throws -> TracingSetup {
        guard let url = configuration.otlpEndpoint else { return .off }
        guard let endpoint = OTLPEndpoint(url: url) else {
            throw ConfigError(key: "tracing.otlp_endpoint", message: "must be an http:// or https:// URL, got '\(url.prefix(80))'")
        }
        try TracingHeaders.validate(configuration.headers)
        var exporterConfiguration = OTLPExporterConfiguration(endpoint: endpoint)
        exporterConfiguration.headers = configuration.headers.map { ($0.name, $0.value) }
        exporterConfiguration.serviceName = configuration.serviceName
        exporterConfiguration.scopeName = "spark-relay"
        if let instanceID { exporterConfiguration.resourceAttributes = [SpanRecord.Attribute("service.instance.id", .string(instanceID))] }
        exporterConfiguration.queueCapacity = configuration.queueSpans
        exporterConfiguration.maxBatchSize = configuration.batchSpans
        exporterConfiguration.flushInterval = configuration.flushInterval
        exporterConfiguration.requestTimeout = configuration.exportTimeout
        exporterConfiguration.shutdownTimeout = configuration.shutdownTimeout
        let exporter: OTLPHTTPExporter
        do {
            exporter = try OTLPHTTPExporter(configuration: exporterConfiguration)
        } catch {
            throw ConfigError(key: "tracing.otlp_endpoint", message: "cannot set up TLS for the collector: \(error)")
        }
        let tracer = RelayTracer(sampler: TraceSampler(ratio: configuration.sampleRatio), exporter: exporter)
        return TracingSetup(tracer: tracer, exporter: exporter)
    }

    /// Serves the exporter's counts at `/metrics`.
    func addMetrics(to metrics: RelayMetrics) {
        guard let exporter else { return }
        metrics.addCounterTotals {
            let statistics = exporter.statistics
            let help = "Spans by what became of them: exported (the collector took them), dropped (the queue was full), failed (their export request failed)."
            return [
                GaugeSample(name: "relay_trace_spans_total", help: help, labels: [("outcome", "exported")], value: Double(statistics.exportedSpans)),
                GaugeSample(name: "relay_trace_spans_total", help: help, labels: [("outcome", "dropped")], value: Double(statistics.droppedSpans)),
                GaugeSample(name: "relay_trace_spans_total", help: help, labels: [("outcome", "failed")], value: Double(statistics.failedSpans)),
                GaugeSample(name: "relay_trace_exports_total", help: "Export requests to the trace collector, by result.",
                            labels: [("result", "ok")], value: Double(statistics.successfulExports)),
                GaugeSample(name: "relay_trace_exports_total", help: "Export requests to the trace collector, by result.",
                            labels: [("result", "failed")], value: Double(statistics.failedExports)),
            ]
        }
        metrics.addStateGauges {
            [GaugeSample(name: "relay_trace_queued_spans", help: "Ended spans waiting to be sent to the trace collector.",
                         value: Double(exporter.statistics.queuedSpans))]
        }
    }

    /// Sends what is queued (bounded by `tracing.shutdown_timeout`), then runs `completion`.
    func shutdown(logger: Logger, _ completion: @escaping @Sendable () -> Void) {
        guard let exporter else {
            completion()
            return
        }
        exporter.shutdown {
            let statistics = exporter.statistics
            if statistics.droppedSpans + statistics.failedSpans > 0 {
                logger.notice("trace spans lost", metadata: ["dropped": "\(statistics.droppedSpans)", "failed": "\(statistics.failedSpans)",
                                                             "exported": "\(statistics.exportedSpans)"])
            }
            completion()
        }
    }
}
