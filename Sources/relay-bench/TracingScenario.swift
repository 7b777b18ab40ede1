import Foundation
import RelayBenchCore

/// What tracing costs (Sources/relay-bench/README.md, "Cost of tracing"): two fresh relays on the
/// same simulator — "off" (`tracing.otlp_endpoint` null) and "on" (every request sampled, its spans
/// exported to the bench's own `OTLPSink` every `flushInterval`) — run the same paced streams and the
/// same one-chunk streams in interleaved rounds, every chunk checked. Each side's CPU is read from
/// `/proc` around its own batches, up to the moment the "on" relay's exporter has sent the batch's
/// spans (the "off" relay waits as long), so the export is inside the figure. Then the "on" relay's
/// `/metrics` must show two spans exported per stream and none dropped or failed, the collector the
/// same spans, and the "off" relay's `/metrics` no `relay_trace_` metric.
struct TracingScenario {
    let environment: BenchEnvironment
    let rate: Int
    let log: (String) -> Void

    /// The batches each side runs per round.
    struct Shape {
        /// Paced streams: count, chunks each, ms between chunks, characters per chunk, and the
        /// seconds between the starts of two groups of them.
        let pacedStreams: Int
        let chunks: Int
        let delayMs: Int
        let charactersPerChunk: Int?
        let startInterval: Double
        /// One-chunk streams and how many start per second.
        let shortStreams: Int
        let shortRate: Int
        /// Counted rounds (an uncounted warm-up round comes first).
        let rounds: Int
    }

    /// One kind of batch, run on both sides in every round.
    private struct Batch {
        let streams: Int
        let chunks: Int
        let rate: Int
        let startInterval: Double
    }

    /// `tracing.flush_interval` of the "on" relay: short, so that spans leave during the run.
    static let flushInterval = 0.5
    /// How long after a batch both sides wait before the "on" relay's queue is looked at: one flush
    /// interval and a little for the export request.
    static let settleSeconds = flushInterval + 0.2
    /// How long the "on" relay's exporter may take to send a batch's spans beyond that.
    static let drainTimeout = 10.0
    /// The `traceparent` of the bench's own `/metrics` requests: a caller's trace that is not
    /// sampled, so the "on" relay records no span for them and its count stays two per stream.
    static let unsampledTraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"

    func run(shape: Shape, indexOffset: Int = 8_000_000) throws -> TracingCost {
        let sink = try OTLPSink()
        defer { sink.stop() }
        let offConfig = try environment.writeConfig(name: "tracing-off", engine: "memory", redisPort: nil) { root in
            var tracing = root["tracing"] as? [String: Any] ?? [:]
            tracing["otlp_endpoint"] = NSNull()
            root["tracing"] = tracing
        }
        let onConfig = try environment.writeConfig(name: "tracing-on", engine: "memory", redisPort: nil) { root in
            var tracing = root["tracing"] as? [String: Any] ?? [:]
            tracing["otlp_endpoint"] = "http://127.0.0.1:\(sink.port)"
            tracing["sample_ratio"] = 1
            tracing["flush_interval"] = Self.flushInterval
            root["tracing"] = tracing
        }
        let off = try environment.startConfiguredRelay(name: "tracing-off", config: offConfig)
        defer { off.relay.stop() }
        let on = try environment.startConfiguredRelay(name: "tracing-on", config: onConfig)
        defer { on.relay.stop() }
        environment.addUnderTest(off.relay.pid)
        environment.addUnderTest(on.relay.pid)
        let sides = [(port: off.port, probe: ProcessProbe(pid: off.relay.pid), traced: false),
                     (port: on.port, probe: ProcessProbe(pid: on.relay.pid), traced: true)]
        let paced = Batch(streams: shape.pacedStreams, chunks: shape.chunks,
                          rate: LoadRun.rampRate(rate, streams: shape.pacedStreams, delayMs: shape.delayMs), startInterval: shape.startInterval)
        let short = Batch(streams: shape.shortStreams, chunks: 1, rate: shape.shortRate, startInterval: 0.01)
        // [batch][side]: CPU seconds and checks of the counted rounds.
        var cpu = [[0.0, 0.0], [0.0, 0.0]]
        var checks = [[StreamCheck(), StreamCheck()], [StreamCheck(), StreamCheck()]]
        var tracedStreams = 0
        var offset = indexOffset
        // Round 0 warms both relays up (first connections, the exporter's connection) and is not counted.
        for round in 0...max(1, shape.rounds) {
            for (batchIndex, batch) in [paced, short].enumerated() {
                for (sideIndex, side) in sides.enumerated() {
                    environment.applyPinning()
                    let specs = (0..<batch.streams).map {
                        StreamSpec(index: offset + $0, chunks: batch.chunks, delayMs: shape.delayMs, stamp: false,
                                   charactersPerChunk: shape.charactersPerChunk)
                    }
                    offset += batch.streams
                    let limit = Double(batch.streams) / Double(batch.rate) + Double(batch.chunks * shape.delayMs) / 500 + 30
                    let cpu0 = try side.probe.cpuSeconds()
                    let outcome = LoadRun(group: environment.group).run(
                        specs: specs, target: .sse(port: side.port, path: "/chat/stream"), ratePerSecond: batch.rate, timeout: limit,
                        batchInterval: batch.startInterval)
                    if side.traced { tracedStreams += batch.streams }
                    // Both sides wait alike; the "on" one until its exporter has sent what this batch queued.
                    Thread.sleep(forTimeInterval: Self.settleSeconds)
                    if side.traced {
                        _ = drain(port: side.port, spans: tracedStreams * TracingCost.spansPerStream)
                    } else {
                        _ = metrics(port: side.port)
                    }
                    let spent = try side.probe.cpuSeconds() - cpu0
                    guard round > 0 else { continue }
                    cpu[batchIndex][sideIndex] += spent
                    checks[batchIndex][sideIndex].merge(outcome.check)
                }
            }
        }
        // A last look after one more flush interval, so that spans beyond the expected count show too.
        Thread.sleep(forTimeInterval: Self.settleSeconds)
        let exporter = drain(port: on.port, spans: tracedStreams * TracingCost.spansPerStream)
        let offTraceSamples = metrics(port: off.port).map { TraceExporterCounts.sampleCount(in: $0) }
        var check = StreamCheck()
        for batch in checks { for side in batch { check.merge(side) } }
        let cost = TracingCost(
            pacedStreams: checks[0][0].streams, chunksPerStream: shape.chunks, delayMs: shape.delayMs, shortStreams: checks[1][0].streams,
            perChunk: OnOffCPU(unit: "chunk", offCPUSeconds: cpu[0][0], offUnits: checks[0][0].chunks, onCPUSeconds: cpu[0][1],
                               onUnits: checks[0][1].chunks),
            perStream: OnOffCPU(unit: "stream", offCPUSeconds: cpu[1][0], offUnits: checks[1][0].streams, onCPUSeconds: cpu[1][1],
                                onUnits: checks[1][1].streams),
            tracedStreams: tracedStreams, exporter: exporter, offTraceSamples: offTraceSamples, collector: sink.snapshot, check: check)
        log(String(format: "tracing: per chunk off %.1f µs, on %.1f µs (%.3f×); per stream off %.1f µs, on %.1f µs (%.3f×); ",
                   cost.perChunk.offMicros, cost.perChunk.onMicros, cost.perChunk.ratio ?? 0,
                   cost.perStream.offMicros, cost.perStream.onMicros, cost.perStream.ratio ?? 0)
            + "\(exporter?.exportedSpans ?? 0)/\(cost.expectedSpans) spans exported, collector \(cost.collector.requests) requests, "
            + "\(cost.collector.bodyBytes) bytes"
            + (cost.spansAccountedFor ? "" : " — \(cost.spanProblems.joined(separator: "; "))")
            + (check.passed ? "" : " — \(check.problemsByKind) e.g. \(check.examples.prefix(2))"))
        return cost
    }

    /// The relay's `/metrics` text, asked without a sampled trace (`nil` when it did not answer 200).
    private func metrics(port: Int) -> String? {
        guard let response = HTTPProbe.get(port: port, path: "/metrics", headers: [("traceparent", Self.unsampledTraceParent)]),
              response.status == 200 else { return nil }
        return String(decoding: response.body, as: UTF8.self)
    }

    /// Polls the relay's `/metrics` until its exporter has nothing queued and knows the fate of
    /// `spans` spans, or `drainTimeout` passes; the last counts read (`nil`: none could be read).
    private func drain(port: Int, spans: Int) -> TraceExporterCounts? {
        let deadline = WallClock.monotonicSeconds() + Self.drainTimeout
        var last: TraceExporterCounts?
        while true {
            if let counts = metrics(port: port).flatMap(TraceExporterCounts.init(metrics:)) {
                last = counts
                if counts.queuedSpans == 0 && counts.accountedSpans >= spans { break }
            }
            guard WallClock.monotonicSeconds() < deadline else { break }
            usleep(50_000)
        }
        return last
    }
}
