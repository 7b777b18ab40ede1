import Foundation

/// Renders a `BenchReport` as the plain-text table `relay-bench` prints, with each target of the
/// Performance table in README.md marked met, missed or not measured (not in a quick run, which
/// reports correctness only).
public enum ReportTable {
    /// The whole table.
    public static func render(_ report: BenchReport) -> String {
        var out: [String] = []
        out.append("relay-bench — \(report.machine)")
        out.append("command: \(report.command)")
        if !report.latency.isEmpty {
            out.append("")
            out.append("latency per chunk, µs (direct = simulator→bench WebSocket; relay = simulator→relay→bench SSE)")
            out.append(row(["streams", "chunks", "direct p50/p99/p999", "relay p50/p99/p999", "added p50/p99/p999", "correct"]))
            for r in report.latency {
                out.append(row(["\(r.streams)", "\(r.check.chunks)",
                                triple(r.direct.p50, r.direct.p99, r.direct.p999),
                                triple(r.relay.p50, r.relay.p99, r.relay.p999),
                                triple(r.added.p50, r.added.p99, r.added.p999),
                                checkText(r.check)]))
            }
        }
        if let s = report.scale {
            out.append("")
            out.append("scale: \(s.peakOpenStreams)/\(s.targetStreams) streams open at peak (asked \(s.requestedStreams)); relay RSS "
                       + "before \(s.rssBeforeKiB) KiB, peak \(s.rssPeakKiB) KiB, after \(s.rssAfterKiB) KiB → "
                       + String(format: "%.1f KiB/stream", s.kibPerStream) + "; \(checkText(s.check))")
            if let note = s.note { out.append("  note: \(note)") }
        }
        if let t = report.throughput {
            out.append("")
            out.append("throughput: \(t.streams) streams × \(t.chunksPerStream) chunks, delay 0: "
                       + String(format: "%.0f chunks/s, %.1f MB/s, relay %.2f CPU-s per million chunks", t.chunksPerSecond,
                                t.megabytesPerSecond, t.relayCPUSecondsPerMillionChunks)
                       + String(format: " (CPU-s: relay %.2f, simulator %.2f, bench %.2f over %.2f s)", t.relayCPUSeconds,
                                t.simulatorCPUSeconds, t.benchCPUSeconds, t.seconds)
                       + "; \(checkText(t.check))")
        }
        if let st = report.startup {
            out.append("")
            out.append(String(format: "start-up (exec → first /healthz 200): median %.1f ms of %d", st.medianMs, st.samplesMs.count))
        }
        if let idle = report.idleRSSKiB {
            out.append(String(format: "idle RSS after start: %d KiB (%.1f MiB)", idle, Double(idle) / 1024))
        }
        if !report.cpuPerChunk.isEmpty {
            out.append("")
            out.append("CPU per relayed chunk (utime+stime from /proc over the same batch ÷ chunks checked)"
                       + (report.pinned ? ", relay pinned to core 1" : ""))
            for r in report.cpuPerChunk {
                var line = String(format: "  %@ %@: %d streams × %d chunks, %d ms apart: relay %.1f µs/chunk", r.shape, r.path, r.streams,
                                  r.chunksPerStream, r.delayMs, r.relayMicrosPerChunk)
                if let switches = r.relayContextSwitchesPerChunk { line += String(format: " (%.2f context switches)", switches) }
                if let nginx = r.nginxMicrosPerChunk, let ratio = r.ratio {
                    line += String(format: ", nginx %.1f µs/chunk, ratio %.2f", nginx, ratio)
                }
                out.append(line + "; \(checkText(r.check))")
            }
        }
        if let cost = report.deploymentCPU {
            out.append("")
            out.append("CPU through nginx (the project's nginx/ config), relay vs nginx's workers on the same streams, µs: schedstat (/proc ticks)")
            func line(_ title: String, _ figure: CPUComparison) -> String {
                String(format: "  %@: relay %.1f (%.1f), nginx %.1f (%.1f), relay ÷ nginx %.2f (%.2f)", title, figure.relayMicros,
                       figure.relayTicksMicros, figure.nginxMicros, figure.nginxTicksMicros, figure.ratio ?? 0, figure.ticksRatio ?? 0)
            }
            out.append(line("per chunk, \(cost.shortChunks) chunks per stream", cost.perChunkShort))
            out.append(line("per chunk, \(cost.longChunks) chunks per stream", cost.perChunkLong))
            out.append(line("per chunk, per-stream part removed", cost.perChunkWithoutStreamPart))
            if let perStream = cost.perStream { out.append(line("per one-chunk stream", perStream)) }
        }
        if !report.streamMemory.isEmpty {
            out.append("")
            for m in report.streamMemory {
                out.append("memory per stream over \(m.upstream)://: \(m.peakOpenStreams)/\(m.streams) open, RSS \(m.rssBeforeKiB) → "
                           + "\(m.rssPeakKiB) KiB → " + String(format: "%.1f KiB/stream", m.kibPerStream) + "; \(checkText(m.check))")
            }
        }
        if let soak = report.soak {
            out.append("")
            let kinds = soak.streamsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            out.append(String(format: "soak %.0f s, %d concurrent clients (%@; %d resumes exact): RSS idle %d KiB, peak %d KiB, "
                              + "%d KiB %.0f s after (%.2f× idle)", soak.seconds, soak.concurrency, kinds, soak.exactResumes,
                              soak.rssIdleKiB, soak.rssPeakKiB, soak.rssAfterKiB, soak.afterSeconds, soak.afterOverIdle)
                       + "; descriptors \(soak.descriptorsBefore.map(String.init) ?? "?") → \(soak.descriptorsAfter.map(String.init) ?? "?")"
                       + "; \(checkText(soak.check))")
        }
        if let engine = report.engine {
            out.append("")
            out.append("engine cost: concurrent ticket streams (POST /chat, GET /chat/stream/{id}), a fresh relay per engine")
            for r in engine.rows {
                out.append(String(format: "  %@: %d streams × %d chunks, %d ms apart, %.1f s: relay %.1f µs/chunk (%.2f CPU-s)", r.engine,
                                  r.streams, r.chunksPerStream, r.delayMs, r.seconds, r.relayMicrosPerChunk, r.relayCPUSeconds)
                           + "; \(checkText(r.check))")
                if let redis = r.redis {
                    out.append(String(format: "    redis-server: %.1f µs/chunk (%.2f CPU-s); used_memory %d → %d bytes, %d keys → "
                                      + "%.0f bytes per finished stream (%d finished) vs replay_buffer_bytes %d", redis.microsPerChunk,
                                      redis.cpuSeconds, redis.usedMemoryBefore, redis.usedMemoryAfter, redis.keysAfter,
                                      redis.bytesPerFinishedStream, redis.finishedStreams, redis.replayBufferBytes))
                }
            }
            if let ratio = engine.cpuRatio { out.append(String(format: "  relay CPU per chunk, redis ÷ memory: %.2f×", ratio)) }
        }
        if !report.accounting.isEmpty {
            out.append("")
            out.append("accounting: /v1 paced streams with a named key, its budget and the usage file on, against off (rounds interleaved)")
            for r in report.accounting {
                out.append(String(format: "  %@: %d streams × %d chunks, %d ms apart per side: off %.1f µs/chunk, on %.1f µs/chunk, "
                                  + "on ÷ off %.3f×; %d usage records", r.engine, r.streams, r.chunksPerStream, r.delayMs,
                                  r.offMicrosPerChunk, r.onMicrosPerChunk, r.ratio ?? 0, r.usageRecords)
                           + (r.redisCommandsPerRequestOn.map { on in
                               String(format: "; Redis commands per request off %.2f, on %.2f", r.redisCommandsPerRequestOff ?? 0, on) } ?? "")
                           + "; \(checkText(r.check))")
            }
        }
        if let tracing = report.tracing {
            out.append("")
            out.append("tracing: every request sampled and its spans exported to an OTLP/HTTP collector, against tracing off "
                       + "(two fresh relays, rounds interleaved), relay CPU from /proc")
            out.append(String(format: "  per chunk: %d streams × %d chunks, %d ms apart per side: off %.1f µs, on %.1f µs, on ÷ off %.3f×",
                              tracing.pacedStreams, tracing.chunksPerStream, tracing.delayMs, tracing.perChunk.offMicros,
                              tracing.perChunk.onMicros, tracing.perChunk.ratio ?? 0))
            out.append(String(format: "  per stream: %d one-chunk streams per side: off %.1f µs, on %.1f µs, on ÷ off %.3f×",
                              tracing.shortStreams, tracing.perStream.offMicros, tracing.perStream.onMicros, tracing.perStream.ratio ?? 0))
            let exporter = tracing.exporter.map { e in
                "\(e.exportedSpans) exported of \(tracing.expectedSpans) expected (\(TracingCost.spansPerStream) per stream × \(tracing.tracedStreams) "
                    + "streams), \(e.droppedSpans) dropped, \(e.failedSpans) failed, \(e.queuedSpans) queued; export requests "
                    + "\(e.successfulExports) ok, \(e.failedExports) failed"
            } ?? "no relay_trace_ metric on the tracing relay"
            out.append("  spans: \(exporter)")
            let c = tracing.collector
            var collector = "\(c.requests) requests, \(c.bodyBytes) bytes, \(c.serverSpans) server + \(c.clientSpans) client spans"
            if c.otherSpans > 0 { collector += " + \(c.otherSpans) other" }
            if c.malformedBodies > 0 { collector += ", \(c.malformedBodies) malformed bodies" }
            let off: String
            switch tracing.offTraceSamples {
            case nil: off = "/metrics unreadable"
            case 0?: off = "no relay_trace_ metric"
            case let count?: off = "\(count) relay_trace_ samples"
            }
            out.append("  collector: \(collector); relay with tracing off: \(off); \(checkText(tracing.check))")
            for problem in tracing.spanProblems { out.append("  FAIL: \(problem)") }
        }
        for peer in report.peers {
            out.append("")
            guard peer.measured else {
                out.append("peer \(peer.name): not measured — \(peer.reason ?? "")")
                continue
            }
            out.append("peer \(peer.name)" + (peer.version.map { " \($0)" } ?? "") + ": what the hop adds per chunk, µs"
                       + (peer.metric.map { " (\($0))" } ?? ""))
            out.append(row(["streams", "relay p50/p99/p999", "via peer p50/p99/p999", "added p50/p99/p999", "correct"]))
            for r in peer.rows {
                out.append(row(["\(r.streams)", triple(r.viaRelay.p50, r.viaRelay.p99, r.viaRelay.p999),
                                triple(r.viaPeer.p50, r.viaPeer.p99, r.viaPeer.p999),
                                triple(r.added.p50, r.added.p99, r.added.p999), checkText(r.check)]))
            }
            let first = peer.rows.filter { $0.addedFirstChunk != nil }
            if !first.isEmpty {
                out.append("  time to the first content chunk since request start (per-request cost), µs:")
                for r in first {
                    guard let relay = r.viaRelayFirstChunk, let via = r.viaPeerFirstChunk, let added = r.addedFirstChunk else { continue }
                    out.append(row(["\(r.streams)", triple(relay.p50, relay.p99, relay.p999), triple(via.p50, via.p99, via.p999),
                                    triple(added.p50, added.p99, added.p999)]))
                }
            }
            let scheduled = peer.rows.filter { $0.addedSchedule != nil }
            if !scheduled.isEmpty {
                out.append("  per-chunk lateness after the first chunk (arrival_k − arrival_0 − k × chunk delay; per-chunk cost), µs:")
                for r in scheduled {
                    guard let relay = r.viaRelaySchedule, let via = r.viaPeerSchedule, let added = r.addedSchedule else { continue }
                    out.append(row(["\(r.streams)", triple(relay.p50, relay.p99, relay.p999), triple(via.p50, via.p99, via.p999),
                                    triple(added.p50, added.p99, added.p999)]))
                }
            }
            if let ramp = peer.ramp, !ramp.isEmpty {
                out.append("  concurrency ramp through the peer (long streams, all started together):")
                out.append(row(["streams", "peak open", "peer CPU-s / peak RSS", "seconds", "correct"]))
                for step in ramp {
                    let cpu = step.peerCPUSeconds.map { String(format: "%.1f", $0) } ?? "?"
                    let rss = step.peerPeakRSSKiB.map { String(format: "%.0f MiB", Double($0) / 1024) } ?? "?"
                    out.append(row(["\(step.streams)", "\(step.peakOpenStreams)", "\(cpu) / \(rss)",
                                    String(format: "%.1f", step.seconds), checkText(step.check)]))
                    if !step.check.passed, let example = step.check.examples.first { out.append("    e.g. \(example)") }
                }
                let held = peer.heldStreams.map { "\($0) streams clean" } ?? "no step clean"
                let broke = peer.brokeAt.map { "broke at \($0)" } ?? "did not break up to \(ramp.last?.streams ?? 0)"
                out.append("  held: \(held); \(broke)")
            }
            for detail in peer.details ?? [] { out.append("  \(detail)") }
            if let reason = peer.reason { out.append("  note: \(reason)") }
        }
        out.append("")
        if report.quick {
            // A quick run is too short to judge a timing or a memory figure: it reports correctness only.
            out.append("quick run: correctness only, no target judged — "
                       + (report.allStreamsCorrect ? "every stream correct" : "FAILED: some streams were not correct"))
        } else {
            out.append("targets (the Performance table of README.md, section Performance):")
            for target in targets(report) { out.append("  [\(target.verdict)] \(target.name): \(target.measured)") }
        }
        return out.joined(separator: "\n")
    }

    /// One target's verdict.
    public struct Target: Sendable, Equatable {
        public var name: String
        public var measured: String
        /// "met", "MISSED" or "n/a".
        public var verdict: String
    }

    /// The targets of README.md's Performance table against the report.
    public static func targets(_ report: BenchReport) -> [Target] {
        func verdict(_ ok: Bool?) -> String { ok.map { $0 ? "met" : "MISSED" } ?? "n/a" }
        var list: [Target] = []
        let held = report.scale.map { $0.check.cleanStreams }
        list.append(Target(name: "10,000 concurrent SSE streams", measured: held.map { "\($0) held with every chunk" } ?? "not run",
                           verdict: verdict(held.map { $0 >= 10_000 })))
        let at1000 = report.latency.first { $0.streams >= 1000 }
        list.append(Target(name: "relay-added p99 < 1 ms at 1,000 streams",
                           measured: at1000.map { String(format: "%.0f µs at %d streams", $0.added.p99, $0.streams) } ?? "not run",
                           verdict: verdict(at1000.map { $0.added.p99 < 1000 })))
        list.append(Target(name: "≥ 100,000 relayed chunks/s",
                           measured: report.throughput.map { String(format: "%.0f chunks/s", $0.chunksPerSecond) } ?? "not run",
                           verdict: verdict(report.throughput.map { $0.chunksPerSecond >= 100_000 })))
        list.append(Target(name: "< 32 KiB per open stream",
                           measured: report.scale.map { String(format: "%.1f KiB", $0.kibPerStream) } ?? "not run",
                           verdict: verdict(report.scale.map { $0.kibPerStream < 32 })))
        list.append(Target(name: "idle RSS < 15 MiB",
                           measured: report.idleRSSKiB.map { String(format: "%.1f MiB", Double($0) / 1024) } ?? "not run",
                           verdict: verdict(report.idleRSSKiB.map { $0 < 15 * 1024 })))
        list.append(Target(name: "start-up < 100 ms",
                           measured: report.startup.map { String(format: "%.1f ms median", $0.medianMs) } ?? "not run",
                           verdict: verdict(report.startup.map { $0.medianMs < 100 })))
        let cost = report.deploymentCPU
        list.append(Target(name: "relay CPU per paced chunk ≤ 1.2× nginx's",
                           measured: cost.map { String(format: "relay %.1f µs, nginx %.1f µs: %.2f× (per-stream part removed, schedstat)",
                                                       $0.perChunkWithoutStreamPart.relayMicros, $0.perChunkWithoutStreamPart.nginxMicros,
                                                       $0.perChunkWithoutStreamPart.ratio ?? 0) } ?? "not run (--scenarios cpu --peers)",
                           verdict: verdict(cost.map { ($0.perChunkWithoutStreamPart.ratio ?? .infinity) <= 1.2 })))
        let perStream = cost?.perStream
        list.append(Target(name: "relay CPU per stream ≤ 2× nginx's",
                           measured: perStream.map { String(format: "relay %.0f µs, nginx %.0f µs: %.2f× (schedstat)", $0.relayMicros,
                                                            $0.nginxMicros, $0.ratio ?? 0) } ?? "not run (--scenarios cpu --peers)",
                           verdict: verdict(perStream.map { ($0.ratio ?? .infinity) <= 2 })))
        let wss = report.streamMemory.first { $0.upstream == "wss" }
        list.append(Target(name: "< 32 KiB per open stream over wss://",
                           measured: wss.map { String(format: "%.1f KiB", $0.kibPerStream) } ?? "not run",
                           verdict: verdict(wss.map { $0.kibPerStream < 32 })))
        list.append(Target(name: "RSS within 2× idle after the soak",
                           measured: report.soak.map { String(format: "%.2f× (%d KiB vs %d KiB idle)", $0.afterOverIdle, $0.rssAfterKiB,
                                                              $0.rssIdleKiB) } ?? "not run",
                           verdict: verdict(report.soak.map { $0.afterOverIdle <= 2 })))
        for row in report.accounting {
            list.append(Target(name: "relay CPU per paced chunk with budgets and the usage file on ≤ 1.05× off (\(row.engine))",
                               measured: String(format: "on %.1f µs, off %.1f µs: %.3f×", row.onMicrosPerChunk, row.offMicrosPerChunk, row.ratio ?? 0),
                               verdict: verdict(row.withinGoal)))
        }
        if let tracing = report.tracing {
            list.append(Target(name: "relay CPU per paced chunk with tracing on ≤ \(TracingCost.perChunkGoal)× off",
                               measured: String(format: "on %.1f µs, off %.1f µs: %.3f×", tracing.perChunk.onMicros, tracing.perChunk.offMicros,
                                                tracing.perChunk.ratio ?? 0),
                               verdict: verdict(tracing.perChunkWithinGoal)))
            list.append(Target(name: "relay CPU per stream with tracing on ≤ \(TracingCost.perStreamGoal)× off",
                               measured: String(format: "on %.1f µs, off %.1f µs: %.3f×", tracing.perStream.onMicros, tracing.perStream.offMicros,
                                                tracing.perStream.ratio ?? 0),
                               verdict: verdict(tracing.perStreamWithinGoal)))
        }
        if let engine = report.engine {
            let memory = engine.rows.first { $0.engine == "memory" }
            let redis = engine.rows.first { $0.engine == "redis" }
            list.append(Target(name: "relay CPU per chunk with Redis ≤ 2× the memory engine's",
                               measured: engine.cpuRatio.map { String(format: "redis %.1f µs, memory %.1f µs: %.2f×", redis?.relayMicrosPerChunk ?? 0,
                                                                      memory?.relayMicrosPerChunk ?? 0, $0) } ?? "needs both engines (--engine redis)",
                               verdict: verdict(engine.cpuWithinGoal)))
            list.append(Target(name: "Redis memory per finished stream ≤ stream.replay_buffer_bytes",
                               measured: redis?.redis.map { String(format: "%.0f bytes vs %d", $0.bytesPerFinishedStream, $0.replayBufferBytes) }
                                   ?? "not run (--engine redis)",
                               verdict: verdict(engine.memoryWithinGoal)))
        }
        return list
    }

    private static func triple(_ a: Double, _ b: Double, _ c: Double) -> String {
        String(format: "%.0f / %.0f / %.0f", a, b, c)
    }

    private static func checkText(_ check: StreamCheck) -> String {
        if check.passed { return "\(check.cleanStreams)/\(check.streams) ok" }
        let kinds = check.problemsByKind.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "\(check.cleanStreams)/\(check.streams) ok, FAIL \(kinds)"
    }

    private static func row(_ cells: [String]) -> String {
        let widths = [8, 8, 24, 24, 24, 20]
        return cells.enumerated().map { index, cell in
            let width = index < widths.count ? widths[index] : 12
            return cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
        }.joined()
    }
}
