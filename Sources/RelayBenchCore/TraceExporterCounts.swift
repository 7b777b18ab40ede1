/// The relay's trace exporter as its `/metrics` shows it, read from the Prometheus text:
/// `relay_trace_spans_total{outcome="exported"|"dropped"|"failed"}`,
/// `relay_trace_exports_total{result="ok"|"failed"}` and `relay_trace_queued_spans`. A relay with
/// tracing off shows none of them.
public struct TraceExporterCounts: Sendable, Codable, Equatable {
    /// The metric names' common prefix.
    public static let prefix = "relay_trace_"

    public var exportedSpans = 0
    public var droppedSpans = 0
    public var failedSpans = 0
    public var successfulExports = 0
    public var failedExports = 0
    /// Ended spans waiting for the collector when `/metrics` was read.
    public var queuedSpans = 0

    /// Counts given directly.
    public init(exportedSpans: Int, droppedSpans: Int, failedSpans: Int, successfulExports: Int, failedExports: Int, queuedSpans: Int) {
        self.exportedSpans = exportedSpans
        self.droppedSpans = droppedSpans
        self.failedSpans = failedSpans
        self.successfulExports = successfulExports
        self.failedExports = failedExports
        self.queuedSpans = queuedSpans
    }

    /// The counts in a `/metrics` body; `nil` when it has no `relay_trace_` sample (tracing off).
    /// A sample the body lacks counts as 0 (a counter appears once it has been made).
    public init?(metrics text: String) {
        var sawAny = false
        for sample in Self.samples(in: text) {
            sawAny = true
            let value = sample.value
            switch sample.name {
            case "relay_trace_spans_total":
                if sample.labels.contains("outcome=\"exported\"") { exportedSpans = value }
                if sample.labels.contains("outcome=\"dropped\"") { droppedSpans = value }
                if sample.labels.contains("outcome=\"failed\"") { failedSpans = value }
            case "relay_trace_exports_total":
                if sample.labels.contains("result=\"ok\"") { successfulExports = value }
                if sample.labels.contains("result=\"failed\"") { failedExports = value }
            case "relay_trace_queued_spans":
                queuedSpans = value
            default:
                break
            }
        }
        guard sawAny else { return nil }
    }

    /// Spans whose fate is known: exported, dropped or failed (not those queued or in flight).
    public var accountedSpans: Int { exportedSpans + droppedSpans + failedSpans }

    /// How many `relay_trace_` samples a `/metrics` body holds (0 with tracing off).
    public static func sampleCount(in text: String) -> Int {
        samples(in: text).count
    }

    /// The `relay_trace_` sample lines of `text`: name, label text (between the braces) and value.
    private static func samples(in text: String) -> [(name: Substring, labels: Substring, value: Int)] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            guard line.hasPrefix(prefix) else { return nil }
            let name = line.prefix { $0 != "{" && $0 != " " }
            var rest = line[name.endIndex...]
            var labels: Substring = ""
            if rest.first == "{", let close = rest.firstIndex(of: "}") {
                labels = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
            }
            guard let field = rest.split(separator: " ").first, let value = Double(field), value.isFinite else { return nil }
            return (name, labels, Int(value.rounded()))
        }
    }
}
