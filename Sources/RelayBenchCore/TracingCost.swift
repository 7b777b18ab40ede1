/// What tracing costs (the `tracing` scenario): the relay's CPU per paced chunk and per one-chunk
/// stream with every request sampled and its spans exported to a collector, against the same build
/// with tracing off, on two fresh relays in interleaved rounds; and whether the spans all arrived:
/// two per stream on the "on" relay (the request's server span and its upstream attempt's client
/// span), none dropped or failed, the collector holding the same, and no `relay_trace_` metric on
/// the "off" relay.
public struct TracingCost: Sendable, Codable, Equatable {
    /// The largest on ÷ off CPU per paced chunk that meets the goal.
    public static let perChunkGoal = 1.05
    /// The largest on ÷ off CPU per stream that meets the goal.
    public static let perStreamGoal = 1.15
    /// Spans each stream leaves: its request's server span and one upstream attempt's client span.
    public static let spansPerStream = 2

    /// Paced streams per side over the counted rounds, their chunks and pacing.
    public var pacedStreams: Int
    public var chunksPerStream: Int
    public var delayMs: Int
    /// One-chunk streams per side over the counted rounds.
    public var shortStreams: Int
    /// CPU per paced chunk, off and on.
    public var perChunk: OnOffCPU
    /// CPU per one-chunk stream, off and on.
    public var perStream: OnOffCPU
    /// Streams the "on" relay served, the uncounted warm-up round included: each should leave its spans.
    public var tracedStreams: Int
    /// The "on" relay's exporter after its last batch (`nil`: its `/metrics` showed no `relay_trace_` metric).
    public var exporter: TraceExporterCounts?
    /// `relay_trace_` samples on the "off" relay's `/metrics` (`nil`: it could not be read).
    public var offTraceSamples: Int?
    /// What the bench's collector received.
    public var collector: OTLPSinkCounts
    /// Correctness of every stream, both sides.
    public var check: StreamCheck

    public init(pacedStreams: Int, chunksPerStream: Int, delayMs: Int, shortStreams: Int, perChunk: OnOffCPU, perStream: OnOffCPU,
                tracedStreams: Int, exporter: TraceExporterCounts?, offTraceSamples: Int?, collector: OTLPSinkCounts, check: StreamCheck) {
        self.pacedStreams = pacedStreams
        self.chunksPerStream = chunksPerStream
        self.delayMs = delayMs
        self.shortStreams = shortStreams
        self.perChunk = perChunk
        self.perStream = perStream
        self.tracedStreams = tracedStreams
        self.exporter = exporter
        self.offTraceSamples = offTraceSamples
        self.collector = collector
        self.check = check
    }

    /// The spans the "on" relay should have exported.
    public var expectedSpans: Int { tracedStreams * Self.spansPerStream }

    /// Within the per-chunk goal (`nil`: not measured).
    public var perChunkWithinGoal: Bool? { perChunk.within(Self.perChunkGoal) }

    /// Within the per-stream goal (`nil`: not measured).
    public var perStreamWithinGoal: Bool? { perStream.within(Self.perStreamGoal) }

    /// What is wrong with the spans, one sentence each; empty when every span is accounted for.
    public var spanProblems: [String] {
        var problems: [String] = []
        if let exporter {
            if exporter.droppedSpans > 0 { problems.append("\(exporter.droppedSpans) spans dropped (queue full)") }
            if exporter.failedSpans > 0 || exporter.failedExports > 0 {
                problems.append("\(exporter.failedSpans) spans in \(exporter.failedExports) export requests failed")
            }
            if exporter.queuedSpans > 0 { problems.append("\(exporter.queuedSpans) spans still queued at the end") }
            if exporter.exportedSpans != expectedSpans {
                problems.append("\(exporter.exportedSpans) spans exported, expected \(expectedSpans) (\(Self.spansPerStream) per stream × \(tracedStreams) streams)")
            }
            if collector.spans != exporter.exportedSpans {
                problems.append("the collector received \(collector.spans) spans, the relay counts \(exporter.exportedSpans) exported")
            }
        } else {
            problems.append("the tracing relay's /metrics shows no relay_trace_ metric")
        }
        if collector.serverSpans != tracedStreams || collector.clientSpans != tracedStreams {
            problems.append("the collector received \(collector.serverSpans) server and \(collector.clientSpans) client spans for \(tracedStreams) streams"
                            + (collector.otherSpans > 0 ? " (and \(collector.otherSpans) of other kinds)" : ""))
        }
        if collector.malformedBodies > 0 { problems.append("\(collector.malformedBodies) export bodies were not OTLP/JSON trace data") }
        if collector.unexpectedRequests > 0 { problems.append("\(collector.unexpectedRequests) requests to the collector were not POSTs of application/json to /v1/traces") }
        switch offTraceSamples {
        case nil: problems.append("the relay with tracing off did not answer /metrics")
        case let count? where count > 0: problems.append("the relay with tracing off shows \(count) relay_trace_ samples")
        default: break
        }
        return problems
    }

    /// `true` when every span is where it should be (`spanProblems` is empty).
    public var spansAccountedFor: Bool { spanProblems.isEmpty }
}
