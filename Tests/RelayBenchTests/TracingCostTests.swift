import RelayBenchCore
import Testing

@Suite("Tracing cost: on ÷ off arithmetic, the two verdicts, /metrics and OTLP body parsing, the span accounting that fails a run")
struct TracingCostTests {
    /// `/metrics` of a relay with tracing on, as the Prometheus registry renders it.
    private static func metrics(exported: Int, dropped: Int = 0, failed: Int = 0, ok: Int = 3, failedExports: Int = 0, queued: Int = 0) -> String {
        """
        # TYPE relay_requests_total counter
        relay_requests_total{route="/chat/stream",method="POST",status="200"} 40
        # HELP relay_trace_spans_total Spans by what became of them.
        # TYPE relay_trace_spans_total counter
        relay_trace_spans_total{outcome="exported"} \(exported)
        relay_trace_spans_total{outcome="dropped"} \(dropped)
        relay_trace_spans_total{outcome="failed"} \(failed)
        # TYPE relay_trace_exports_total counter
        relay_trace_exports_total{result="ok"} \(ok)
        relay_trace_exports_total{result="failed"} \(failedExports)
        # TYPE relay_trace_queued_spans gauge
        relay_trace_queued_spans \(queued).0
        relay_active_streams 0

        """
    }

    /// An OTLP/JSON export body with `server` server spans and `client` client spans.
    private static func body(server: Int, client: Int) -> [UInt8] {
        let spans = Array(repeating: #"{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"POST /chat/stream","kind":2}"#, count: server)
            + Array(repeating: #"{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"chat","kind":3,"attributes":[]}"#, count: client)
        return Array(("{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},\"scopeSpans\":[{\"scope\":{\"name\":\"spark-relay\"},\"spans\":["
                      + spans.joined(separator: ",") + "]}]}]}").utf8)
    }

    @Test func onOverOffPerUnitAndTheGoal() {
        let figure = OnOffCPU(unit: "chunk", offCPUSeconds: 0.9, offUnits: 20_000, onCPUSeconds: 0.945, onUnits: 20_000)
        #expect(abs(figure.offMicros - 45) < 1e-9)
        #expect(abs(figure.onMicros - 47.25) < 1e-9)
        #expect(abs((figure.ratio ?? 0) - 1.05) < 1e-12)
        #expect(figure.within(1.05) == true)
        #expect(figure.within(1.04) == false)
        // Per unit, not per side: a side that delivered fewer units is not flattered.
        let fewer = OnOffCPU(unit: "stream", offCPUSeconds: 1, offUnits: 1000, onCPUSeconds: 1, onUnits: 800)
        #expect(abs((fewer.ratio ?? 0) - 1.25) < 1e-12)
        let idle = OnOffCPU(unit: "chunk", offCPUSeconds: 0, offUnits: 0, onCPUSeconds: 0.01, onUnits: 0)
        #expect(idle.ratio == nil && idle.within(1.05) == nil)
        #expect(idle.onMicros == 10_000)  // no unit: divided by one, never by zero
    }

    @Test func readsTheExporterCountsAndNothingFromARelayWithTracingOff() throws {
        let counts = try #require(TraceExporterCounts(metrics: Self.metrics(exported: 4200, dropped: 2, failed: 7, ok: 9, failedExports: 1, queued: 5)))
        #expect(counts == TraceExporterCounts(exportedSpans: 4200, droppedSpans: 2, failedSpans: 7, successfulExports: 9, failedExports: 1,
                                              queuedSpans: 5))
        #expect(counts.accountedSpans == 4209)
        #expect(TraceExporterCounts.sampleCount(in: Self.metrics(exported: 1)) == 6)
        let off = "# TYPE relay_requests_total counter\nrelay_requests_total{route=\"/metrics\"} 3\nrelay_active_streams 0\n"
        #expect(TraceExporterCounts(metrics: off) == nil)
        #expect(TraceExporterCounts.sampleCount(in: off) == 0)
        // Help and type lines alone are no samples; a sample the text lacks counts as 0.
        #expect(TraceExporterCounts(metrics: "# HELP relay_trace_spans_total x\n") == nil)
        let partial = try #require(TraceExporterCounts(metrics: "relay_trace_queued_spans 0\r\n"))
        #expect(partial.exportedSpans == 0 && partial.queuedSpans == 0)
    }

    @Test func countsTheSpansOfAnOTLPBodyByKind() {
        var counts = OTLPSinkCounts()
        let first = Self.body(server: 3, client: 2)
        counts.record(body: first)
        counts.record(body: Self.body(server: 1, client: 1))
        #expect(counts.requests == 2 && counts.bodyBytes == first.count + Self.body(server: 1, client: 1).count)
        #expect(counts.serverSpans == 4 && counts.clientSpans == 3 && counts.otherSpans == 0 && counts.spans == 7)
        #expect(OTLPSinkCounts.spanKinds(inOTLPJSON: Array(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":1},{}]}]}]}"#.utf8)) == [1, 0])
        #expect(OTLPSinkCounts.spanKinds(inOTLPJSON: Array("{}".utf8)) == [])  // protobuf JSON: an absent list is empty
        #expect(OTLPSinkCounts.spanKinds(inOTLPJSON: Array(#"{"resourceSpans":{}}"#.utf8)) == nil)
        #expect(OTLPSinkCounts.spanKinds(inOTLPJSON: Array(#"{"resourceSpans":[{"scopeSpans":[{"spans":[3]}]}]}"#.utf8)) == nil)
        #expect(OTLPSinkCounts.spanKinds(inOTLPJSON: Array("[]".utf8)) == nil)
        counts.record(body: Array("not json".utf8), asExpected: false)
        #expect(counts.malformedBodies == 1 && counts.unexpectedRequests == 1 && counts.requests == 3 && counts.spans == 7)
    }

    /// A run of `streams` traced streams whose spans all arrived, CPU ratios `perChunk` and `perStream`.
    private static func cost(streams: Int = 100, perChunk: Double = 1.02, perStream: Double = 1.1, exporter: TraceExporterCounts? = nil,
                             collector: OTLPSinkCounts? = nil, offTraceSamples: Int? = 0) -> TracingCost {
        var received = OTLPSinkCounts()
        received.record(body: body(server: streams, client: streams))
        return TracingCost(
            pacedStreams: 40, chunksPerStream: 100, delayMs: 20, shortStreams: 40,
            perChunk: OnOffCPU(unit: "chunk", offCPUSeconds: 0.2, offUnits: 4000, onCPUSeconds: 0.2 * perChunk, onUnits: 4000),
            perStream: OnOffCPU(unit: "stream", offCPUSeconds: 0.02, offUnits: 40, onCPUSeconds: 0.02 * perStream, onUnits: 40),
            tracedStreams: streams,
            exporter: exporter ?? TraceExporterCounts(exportedSpans: 2 * streams, droppedSpans: 0, failedSpans: 0, successfulExports: 2,
                                                      failedExports: 0, queuedSpans: 0),
            offTraceSamples: offTraceSamples, collector: collector ?? received, check: StreamCheck.counted(streams: 160, clean: 160, chunks: 8080))
    }

    @Test func theVerdictsAreOnOverOffAgainstTheirGoals() {
        let met = Self.cost()
        #expect(met.expectedSpans == 200)
        #expect(met.perChunkWithinGoal == true && met.perStreamWithinGoal == true)
        #expect(met.spanProblems.isEmpty && met.spansAccountedFor)
        let missed = Self.cost(perChunk: 1.06, perStream: 1.16)
        #expect(missed.perChunkWithinGoal == false && missed.perStreamWithinGoal == false)
        let edge = Self.cost(perChunk: 1.05, perStream: 1.15)
        #expect(edge.perChunkWithinGoal == true && edge.perStreamWithinGoal == true)
        var report = BenchReport(command: "relay-bench --scenarios tracing", machine: "test")
        report.tracing = missed
        let verdicts = Dictionary(uniqueKeysWithValues: ReportTable.targets(report).map { ($0.name, $0.verdict) })
        #expect(verdicts["relay CPU per paced chunk with tracing on ≤ 1.05× off"] == "MISSED")
        #expect(verdicts["relay CPU per stream with tracing on ≤ 1.15× off"] == "MISSED")
        #expect(report.allStreamsCorrect)  // a missed cost is a verdict, not a failed run
        let table = ReportTable.render(report)
        #expect(table.contains("on ÷ off 1.060×") && table.contains("200 exported of 200 expected"))
        #expect(table.contains("collector: 1 requests") && table.contains("100 server + 100 client spans"))
        #expect(table.contains("relay with tracing off: no relay_trace_ metric"))
    }

    @Test func aQuickRunPrintsNoVerdict() {
        var report = BenchReport(command: "relay-bench --quick", machine: "test")
        report.quick = true
        report.tracing = Self.cost(perChunk: 2)
        let table = ReportTable.render(report)
        #expect(table.contains("tracing: every request sampled"))
        #expect(!table.contains("[MISSED]") && !table.contains("[met]"))
        #expect(table.contains("quick run: correctness only, no target judged — every stream correct"))
    }

    @Test func lostExtraOrMisplacedSpansFailTheRun() {
        func problems(_ cost: TracingCost) -> [String] {
            var report = BenchReport(command: "relay-bench --scenarios tracing", machine: "test")
            report.tracing = cost
            #expect(!report.allStreamsCorrect)
            #expect(ReportTable.render(report).contains("FAIL: "))
            return cost.spanProblems
        }
        func exporter(exported: Int, dropped: Int = 0, failed: Int = 0, failedExports: Int = 0, queued: Int = 0) -> TraceExporterCounts {
            TraceExporterCounts(exportedSpans: exported, droppedSpans: dropped, failedSpans: failed, successfulExports: 2,
                                failedExports: failedExports, queuedSpans: queued)
        }
        #expect(problems(Self.cost(exporter: exporter(exported: 190, dropped: 10))).contains("10 spans dropped (queue full)"))
        #expect(problems(Self.cost(exporter: exporter(exported: 150, failed: 50, failedExports: 1))).contains("50 spans in 1 export requests failed"))
        #expect(problems(Self.cost(exporter: exporter(exported: 200, queued: 3))) == ["3 spans still queued at the end"])
        #expect(problems(Self.cost(exporter: exporter(exported: 300))).contains(
            "300 spans exported, expected 200 (2 per stream × 100 streams)"))
        var serverOnly = OTLPSinkCounts()
        serverOnly.record(body: Self.body(server: 200, client: 0))
        #expect(problems(Self.cost(collector: serverOnly)) == ["the collector received 200 server and 0 client spans for 100 streams"])
        var short = OTLPSinkCounts()
        short.record(body: Self.body(server: 100, client: 99))
        #expect(problems(Self.cost(collector: short)).contains("the collector received 199 spans, the relay counts 200 exported"))
        let noMetrics = TracingCost(pacedStreams: 1, chunksPerStream: 1, delayMs: 0, shortStreams: 1,
                                    perChunk: OnOffCPU(unit: "chunk", offCPUSeconds: 0, offUnits: 0, onCPUSeconds: 0, onUnits: 0),
                                    perStream: OnOffCPU(unit: "stream", offCPUSeconds: 0, offUnits: 0, onCPUSeconds: 0, onUnits: 0),
                                    tracedStreams: 0, exporter: nil, offTraceSamples: 0, collector: OTLPSinkCounts(),
                                    check: StreamCheck.counted(streams: 1, clean: 1, chunks: 1))
        #expect(problems(noMetrics) == ["the tracing relay's /metrics shows no relay_trace_ metric"])
        #expect(problems(Self.cost(offTraceSamples: 6)) == ["the relay with tracing off shows 6 relay_trace_ samples"])
        #expect(problems(Self.cost(offTraceSamples: nil)) == ["the relay with tracing off did not answer /metrics"])
    }
}
