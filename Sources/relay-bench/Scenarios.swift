import Foundation
import RelayBenchCore

/// The bench's scenarios, each bounded in streams and time.
struct Scenarios {
    let environment: BenchEnvironment
    let rate: Int
    let log: (String) -> Void

    private func specs(count: Int, chunks: Int, delayMs: Int, stamp: Bool, offset: Int = 0) -> [StreamSpec] {
        (0..<count).map { StreamSpec(index: offset + $0, chunks: chunks, delayMs: delayMs, stamp: stamp) }
    }

    private func timeout(streams: Int, chunks: Int, delayMs: Int) -> Double {
        Double(streams) / Double(rate) + Double(chunks * delayMs) / 1000 * 2 + 30
    }

    /// Direct then relay at each concurrency; the same stream shapes on both paths.
    func latency(levels: [Int], chunks: Int, delayMs baseDelayMs: Int, maxChunksPerSecond: Int? = nil) -> [BenchReport.LatencyRow] {
        levels.map { streams in
            environment.applyPinning()
            // Pinned, the simulator and the bench share one core: cap the offered chunk rate there so the
            // direct path stays unsaturated (the row records the delay used).
            let delayMs = maxChunksPerSecond.map { max(baseDelayMs, streams * 1000 / max(1, $0)) } ?? baseDelayMs
            // Starts are spread over one chunk interval, so the streams' chunks are spread in time too.
            let ramp = LoadRun.rampRate(rate, streams: streams, delayMs: delayMs)
            let limit = timeout(streams: streams, chunks: chunks, delayMs: delayMs)
            let direct = LoadRun(group: environment.group).run(
                specs: specs(count: streams, chunks: chunks, delayMs: delayMs, stamp: true),
                target: .direct(simulatorPort: environment.simulatorPort), ratePerSecond: ramp, timeout: limit)
            let relay = LoadRun(group: environment.group).run(
                specs: specs(count: streams, chunks: chunks, delayMs: delayMs, stamp: true),
                target: .sse(port: environment.relayPort, path: "/chat/stream"), ratePerSecond: ramp, timeout: limit)
            let row = BenchReport.LatencyRow(streams: streams, chunksPerStream: chunks, chunkDelayMs: delayMs,
                                             direct: direct.latency.summary, relay: relay.latency.summary,
                                             check: relay.check, directCheck: direct.check)
            log(String(format: "latency %d streams: added p50 %.0f µs, p99 %.0f µs, p999 %.0f µs", streams, row.added.p50,
                       row.added.p99, row.added.p999))
            return row
        }
    }

    /// Ramp to `streams` long streams, sample the relay's RSS before, at peak and after close.
    func scale(requested: Int, chunks: Int, delayMs: Int) -> BenchReport.ScaleResult {
        environment.applyPinning()
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        // The relay holds two descriptors per stream (client and upstream) plus a few of its own.
        let feasible = (Int(limit.rlim_cur) - 64) / 2
        var note: String?
        var target = requested
        if requested > feasible {
            target = feasible
            note = "RLIMIT_NOFILE hard limit is \(limit.rlim_max) (cannot be raised here): the relay needs 2 descriptors"
                + " per stream, so at most \(feasible) streams fit; ran \(target) instead of \(requested)"
        }
        let probe = environment.relayProbe
        Thread.sleep(forTimeInterval: 0.5)
        let before = (try? probe?.residentKiB()) ?? 0
        var peak = before
        var peakOpen = 0
        let run = LoadRun(group: environment.group)
        let outcome = run.run(specs: specs(count: target, chunks: chunks, delayMs: delayMs, stamp: false),
                              target: .sse(port: environment.relayPort, path: "/chat/stream"), ratePerSecond: rate,
                              timeout: timeout(streams: target, chunks: chunks, delayMs: delayMs)) {
            let open = run.openStreams.load(ordering: .relaxed)
            if open >= peakOpen {
                peakOpen = open
                if let rss = try? probe?.residentKiB() { peak = max(peak, rss) }
            }
        }
        Thread.sleep(forTimeInterval: 2)
        let after = (try? probe?.residentKiB()) ?? 0
        let result = BenchReport.ScaleResult(requestedStreams: requested, targetStreams: target, peakOpenStreams: peakOpen,
                                             rssBeforeKiB: before, rssPeakKiB: peak, rssAfterKiB: after, check: outcome.check,
                                             note: note)
        log("scale: \(peakOpen) open at peak, \(result.check.cleanStreams)/\(target) clean")
        return result
    }

    /// Relay memory per open stream: `streams` long streams held open at once on the relay at `port`
    /// (RSS sampled while they are open), for the `upstream` scheme the relay was started with.
    func streamMemory(upstream: String, port: Int, probe: ProcessProbe, streams: Int, chunks: Int, delayMs: Int,
                      indexOffset: Int) -> StreamMemoryRow {
        environment.applyPinning()
        Thread.sleep(forTimeInterval: 0.5)
        let before = (try? probe.residentKiB()) ?? 0
        var peak = before
        var peakOpen = 0
        let run = LoadRun(group: environment.group)
        let outcome = run.run(specs: specs(count: streams, chunks: chunks, delayMs: delayMs, stamp: false, offset: indexOffset),
                              target: .sse(port: port, path: "/chat/stream"), ratePerSecond: rate,
                              timeout: timeout(streams: streams, chunks: chunks, delayMs: delayMs)) {
            let open = run.openStreams.load(ordering: .relaxed)
            if open >= peakOpen {
                peakOpen = open
                if let rss = try? probe.residentKiB() { peak = max(peak, rss) }
            }
        }
        let row = StreamMemoryRow(upstream: upstream, streams: streams, peakOpenStreams: peakOpen, rssBeforeKiB: before, rssPeakKiB: peak,
                                  check: outcome.check)
        log(String(format: "memory over %@://: %d open, %.1f KiB/stream", upstream, peakOpen, row.kibPerStream))
        return row
    }

    /// Soak: `clients` concurrent clients of mixed behaviour (complete, leave mid-stream, error frames,
    /// drops, stalls, ticket resumes with `Last-Event-ID`) for `seconds` against a fresh relay, then
    /// `idleSeconds` idle; RSS idle before, at peak, and after.
    func soak(seconds: Int, clients: Int, idleSeconds: Int, chunks: Int = 20, delayMs: Int = 20) -> SoakResult? {
        let relay: ChildProcess
        let port: Int
        do {
            (relay, port) = try environment.startExtraRelay(name: "soak")
        } catch {
            log("soak not run: \(error)")
            return nil
        }
        defer { relay.stop() }
        environment.applyPinning()
        let probe = ProcessProbe(pid: relay.pid)
        Thread.sleep(forTimeInterval: 1)
        let idle = (try? probe.residentKiB()) ?? 0
        let fdsBefore = Affinity.descriptorCount(pid: relay.pid)
        var peak = idle
        let collectors = environment.group.loops.map { _ in SoakCollector() }
        let active = SoakCounter()
        let mix: [SoakBehaviour] = [.complete, .complete, .complete, .leave, .error, .drop, .stall, .resume]
        var byKind: [String: Int] = [:]
        var next = 5_000_000
        let began = WallClock.monotonicSeconds()
        let end = began + Double(seconds)
        var lastSample = 0.0
        while WallClock.monotonicSeconds() < end {
            while active.value.load(ordering: .relaxed) < clients {
                let index = next
                next += 1
                let behaviour = mix[index % mix.count]
                byKind[behaviour.rawValue, default: 0] += 1
                _ = active.value.add(1, ordering: .relaxed)
                let loop = environment.group.loops[index % environment.group.loops.count]
                let collector = collectors[loop.index]
                loop.execute {
                    let stream = SoakStream(index: index, behaviour: behaviour, port: port, chunks: chunks, delayMs: delayMs, loop: loop,
                                            collector: collector) { _ = active.value.add(-1, ordering: .relaxed) }
                    collector.active[index] = stream
                    stream.start()
                }
            }
            usleep(2_000)
            let now = WallClock.monotonicSeconds()
            if now - lastSample > 0.1 {
                lastSample = now
                if let rss = try? probe.residentKiB() { peak = max(peak, rss) }
            }
        }
        let drainDeadline = WallClock.monotonicSeconds() + 30
        while active.value.load(ordering: .relaxed) > 0 && WallClock.monotonicSeconds() < drainDeadline { usleep(10_000) }
        for (loop, collector) in zip(environment.group.loops, collectors) {
            loop.queue.sync { for stream in Array(collector.active.values) { stream.abort(reason: "soak drain timeout") } }
        }
        let loadSeconds = WallClock.monotonicSeconds() - began
        if let rss = try? probe.residentKiB() { peak = max(peak, rss) }
        log(String(format: "soak: load over after %.1f s, peak RSS %d KiB; idle for %d s", loadSeconds, peak, idleSeconds))
        Thread.sleep(forTimeInterval: Double(idleSeconds))
        let after = (try? probe.residentKiB()) ?? 0
        let fdsAfter = Affinity.descriptorCount(pid: relay.pid)
        var check = StreamCheck()
        var exact = 0
        for (loop, collector) in zip(environment.group.loops, collectors) {
            loop.queue.sync {
                check.merge(collector.check)
                exact += collector.exactResumes
            }
        }
        let result = SoakResult(seconds: Double(seconds), concurrency: clients, streamsByKind: byKind, exactResumes: exact, rssIdleKiB: idle,
                                rssPeakKiB: peak, rssAfterKiB: after, afterSeconds: Double(idleSeconds), descriptorsBefore: fdsBefore,
                                descriptorsAfter: fdsAfter, check: check)
        log(String(format: "soak: RSS idle %d, peak %d, after %d KiB (%.2f× idle); %d/%d streams clean, %d resumes exact", idle, peak, after,
                   result.afterOverIdle, check.cleanStreams, check.streams, exact))
        return result
    }

    /// No pacing: how many chunks per second the relay forwards, and its CPU per chunk.
    func throughput(streams: Int, chunks: Int) -> BenchReport.ThroughputResult {
        environment.applyPinning()
        let relayCPU0 = (try? environment.relayProbe?.cpuSeconds()) ?? 0
        let simCPU0 = (try? environment.simulatorProbe?.cpuSeconds()) ?? 0
        let benchCPU0 = (try? ProcessProbe(pid: getpid()).cpuSeconds()) ?? 0
        let outcome = LoadRun(group: environment.group).run(
            specs: specs(count: streams, chunks: chunks, delayMs: 0, stamp: false),
            target: .sse(port: environment.relayPort, path: "/chat/stream"), ratePerSecond: rate,
            timeout: Double(streams * chunks) / 5_000 + 60)
        let relayCPU = ((try? environment.relayProbe?.cpuSeconds()) ?? 0) - relayCPU0
        let simCPU = ((try? environment.simulatorProbe?.cpuSeconds()) ?? 0) - simCPU0
        let benchCPU = ((try? ProcessProbe(pid: getpid()).cpuSeconds()) ?? 0) - benchCPU0
        let result = BenchReport.ThroughputResult(streams: streams, chunksPerStream: chunks, seconds: outcome.seconds,
                                                  chunks: outcome.check.chunks, bytes: outcome.bytes, relayCPUSeconds: relayCPU,
                                                  simulatorCPUSeconds: simCPU, benchCPUSeconds: benchCPU, check: outcome.check)
        log(String(format: "throughput: %.0f chunks/s", result.chunksPerSecond))
        return result
    }

    /// Exec → first `/healthz` 200, `samples` times (each relay stopped afterwards).
    func startup(samples: Int) -> BenchReport.StartupResult {
        var times: [Double] = []
        for index in 0..<samples {
            let port = HTTPProbe.freePort()
            let started = WallClock.monotonicSeconds()
            guard let relay = try? ChildProcess(
                name: "spark-relay", path: "\(environment.buildDir)/spark-relay", arguments: environment.relayArguments(port: port),
                environment: BenchEnvironment.sparkEnvironment, directory: environment.repoDir,
                logPath: "\(environment.workDir)/startup-\(index).log") else { continue }
            var elapsed: Double?
            while WallClock.monotonicSeconds() - started < 10 {
                if HTTPProbe.status(port: port, path: "/healthz", timeoutMs: 200) == 200 {
                    elapsed = WallClock.monotonicSeconds() - started
                    break
                }
                if !relay.isRunning { break }
                usleep(500)
            }
            relay.stop()
            if let elapsed { times.append(elapsed * 1000) }
        }
        let result = BenchReport.StartupResult(samplesMs: times)
        log(String(format: "start-up: median %.1f ms", result.medianMs))
        return result
    }

    /// The relay's RSS shortly after start, before any load.
    func idleRSS() -> Int? {
        Thread.sleep(forTimeInterval: 1)
        return try? environment.relayProbe?.residentKiB()
    }
}
