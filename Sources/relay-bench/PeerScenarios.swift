import Foundation
import RelayBenchCore

/// Proxies in front of the relay, in the same run: nginx with the project's `nginx/` config, and the
/// LiteLLM proxy (which needs the relay's OpenAI-compatible `/v1/chat/completions`).
struct PeerScenarios {
    let environment: BenchEnvironment
    let rate: Int
    let log: (String) -> Void

    /// nginx (the project's `nginx/` config, `daemon off`) in front of the relay on `relayPort`.
    struct NginxInstance {
        let process: ChildProcess
        let port: Int

        /// Master and workers (all pinned with the relay under `--pin`).
        var pids: [pid_t] { [process.pid] + workers }

        /// The worker processes: they do all the proxying. The master only starts them and reads
        /// signals, so it is left out of the CPU figures (a deployment's per-chunk cost is the workers').
        var workers: [pid_t] { Affinity.children(of: process.pid) }

        /// utime + stime of every worker, seconds (10 ms ticks).
        func cpuSeconds() -> Double {
            workers.reduce(0) { $0 + ((try? ProcessProbe(pid: $1).cpuSeconds()) ?? 0) }
        }

        /// Time on the CPU of every worker by `schedstat`, seconds.
        func scheduledSeconds() -> Double {
            workers.reduce(0) { $0 + ProcessProbe(pid: $1).scheduledSeconds() }
        }
    }

    /// Starts nginx in front of `relayPort` under `workDir/name` and waits for its `/healthz`; the
    /// error text when it is not installed or does not come up. The caller stops the process.
    func startNginx(relayPort: Int, name: String = "nginx") -> Result<NginxInstance, ValidationFailure> {
        let binary = "/usr/sbin/nginx"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            return .failure(ValidationFailure("\(binary) not installed (Debian package nginx)"))
        }
        let directory = "\(environment.workDir)/\(name)"
        let listenPort = HTTPProbe.freePort()
        let config: String
        do {
            config = try NginxConfig.write(directory: directory, nginxDir: "\(environment.repoDir)/nginx",
                                           relayPort: relayPort, listenPort: listenPort)
        } catch {
            return .failure(ValidationFailure("\(error)"))
        }
        let process: ChildProcess
        do {
            process = try ChildProcess(name: "nginx", path: binary,
                                       arguments: ["-p", directory, "-e", "\(directory)/error.log", "-c", config, "-g", "daemon off;"],
                                       environment: [:], directory: directory, logPath: "\(directory)/stdout.log")
        } catch {
            return .failure(ValidationFailure("\(error)"))
        }
        environment.adopt(process)
        let deadline = WallClock.monotonicSeconds() + 10
        while HTTPProbe.status(port: listenPort, path: "/healthz") != 200 {
            guard WallClock.monotonicSeconds() < deadline, process.isRunning else {
                process.stop()
                return .failure(ValidationFailure("nginx did not come up: \(process.log)"))
            }
            usleep(20_000)
        }
        let instance = NginxInstance(process: process, port: listenPort)
        for pid in instance.pids { environment.addUnderTest(pid) }
        return .success(instance)
    }

    /// What the nginx hop adds per chunk at each concurrency (relay alone, then nginx → relay).
    func nginx(levels: [Int], chunks: Int, delayMs: Int) -> BenchReport.PeerResult {
        let instance: NginxInstance
        switch startNginx(relayPort: environment.relayPort) {
        case .failure(let failure): return .init(name: "nginx", measured: false, reason: failure.description, rows: [])
        case .success(let started): instance = started
        }
        defer { instance.process.stop() }
        let listenPort = instance.port
        let rows = levels.map { streams -> BenchReport.PeerRow in
            let ramp = LoadRun.rampRate(rate, streams: streams, delayMs: delayMs)
            let limit = Double(streams) / Double(ramp) + Double(chunks * delayMs) / 500 + 30
            let specs = (0..<streams).map { StreamSpec(index: $0, chunks: chunks, delayMs: delayMs, stamp: true) }
            let viaRelay = LoadRun(group: environment.group).run(
                specs: specs, target: .sse(port: environment.relayPort, path: "/chat/stream"), ratePerSecond: ramp, timeout: limit)
            let viaNginx = LoadRun(group: environment.group).run(
                specs: specs, target: .sse(port: listenPort, path: "/chat/stream"), ratePerSecond: ramp, timeout: limit)
            var check = viaRelay.check
            check.merge(viaNginx.check)
            let row = BenchReport.PeerRow(streams: streams, viaRelay: viaRelay.latency.summary, viaPeer: viaNginx.latency.summary,
                                          check: check)
            log(String(format: "nginx %d streams: hop adds p50 %.0f µs, p99 %.0f µs", streams, row.added.p50, row.added.p99))
            return row
        }
        return .init(name: "nginx (project nginx/ config)", measured: true, reason: nil, rows: rows)
    }

    /// One batch shape for the CPU-per-chunk measurement.
    struct CPUShape {
        let name: String
        let streams: Int
        let chunks: Int
        let delayMs: Int
        /// Batches of `streams` run one after another inside one CPU reading: `/proc` counts CPU in
        /// 10 ms ticks, so a short batch reads with a coarse, ±1-tick error on each side.
        var rounds = 1
        /// Characters of content per chunk (`[[chunk-chars:N]]`); `nil`: the simulator's default split.
        var charactersPerChunk: Int? = nil
        /// Only through nginx (no relay-alone batch).
        var nginxOnly = false
        /// New streams per second (`nil`: fast enough that all start within one chunk interval).
        var rate: Int? = nil
        /// Seconds between the starts of two groups of streams (LoadRun's batch interval). Short for the
        /// paced shapes, so that their frames reach the relay spread over the interval as independent
        /// users' answers do, not in two bursts of half the streams each.
        var startInterval = 0.01
    }

    /// The relay's CPU per chunk for each shape, straight (bench → relay, unless `nginxOnly`), then —
    /// when nginx runs — through nginx with its workers' CPU read over the very same chunks, by `/proc`
    /// ticks and by `schedstat`. Streams are checked chunk by chunk.
    func cpuPerChunk(shapes: [CPUShape], withNginx: Bool, indexOffset: Int = 3_000_000) -> [CPUPerChunkRow] {
        guard let relayProbe = environment.relayProbe else {
            log("cpu: needs a relay the bench started (not --relay-url)")
            return []
        }
        var nginx: NginxInstance?
        if withNginx {
            switch startNginx(relayPort: environment.relayPort, name: "nginx-cpu") {
            case .failure(let failure): log("cpu: nginx not measured: \(failure)")
            case .success(let instance): nginx = instance
            }
        }
        defer { nginx?.process.stop() }
        if let nginx {
            // Warm-up, not counted: nginx's keep-alive connections to the relay, both sides' first pages.
            let specs = (0..<20).map { StreamSpec(index: indexOffset - 100 + $0, chunks: 5, delayMs: 20, stamp: false) }
            let warm = LoadRun(group: environment.group).run(specs: specs, target: .sse(port: nginx.port, path: "/chat/stream"),
                                                             ratePerSecond: rate, timeout: 30)
            if !warm.check.passed { log("cpu: nginx warm-up not clean: \(warm.check.examples.prefix(2))") }
        }
        var rows: [CPUPerChunkRow] = []
        var offset = indexOffset
        for shape in shapes {
            var targets: [(String, Int, NginxInstance?)] = shape.nginxOnly ? [] : [("relay", environment.relayPort, nil)]
            if let nginx { targets.append(("nginx → relay", nginx.port, nginx)) }
            for (path, port, peer) in targets {
                environment.applyPinning()
                let ramp = shape.rate ?? LoadRun.rampRate(rate, streams: shape.streams, delayMs: shape.delayMs)
                let limit = Double(shape.streams) / Double(ramp) + Double(shape.chunks * shape.delayMs) / 500 + Double(shape.streams * shape.chunks) / 5_000 + 30
                let workers = peer?.workers
                let relay0 = (try? relayProbe.cpuSeconds()) ?? 0
                let relayScheduled0 = relayProbe.scheduledSeconds()
                let switches0 = relayProbe.contextSwitches()
                let peer0 = peer?.cpuSeconds()
                let peerScheduled0 = peer?.scheduledSeconds()
                var check = StreamCheck()
                for _ in 0..<max(1, shape.rounds) {
                    let specs = (0..<shape.streams).map {
                        StreamSpec(index: offset + $0, chunks: shape.chunks, delayMs: shape.delayMs, stamp: false,
                                   charactersPerChunk: shape.charactersPerChunk)
                    }
                    offset += shape.streams
                    check.merge(LoadRun(group: environment.group).run(
                        specs: specs, target: .sse(port: port, path: "/chat/stream"), ratePerSecond: ramp, timeout: limit,
                        batchInterval: shape.startInterval).check)
                }
                let relayCPU = ((try? relayProbe.cpuSeconds()) ?? 0) - relay0
                let relayScheduled = relayProbe.scheduledSeconds() - relayScheduled0
                let switches = relayProbe.contextSwitches() - switches0
                let peerCPU = peer0.flatMap { start in peer.map { $0.cpuSeconds() - start } }
                let peerScheduled = peerScheduled0.flatMap { start in peer.map { $0.scheduledSeconds() - start } }
                if let workers, workers != peer?.workers {
                    log("cpu: nginx's workers changed during the \(shape.name) batch (\(workers) → \(peer?.workers ?? [])): its CPU is not comparable")
                }
                let row = CPUPerChunkRow(shape: shape.name, path: path, streams: shape.streams * max(1, shape.rounds), chunksPerStream: shape.chunks,
                                         delayMs: shape.delayMs, relayCPUSeconds: relayCPU, nginxCPUSeconds: peerCPU,
                                         relayContextSwitches: switches, relayScheduledSeconds: relayScheduled,
                                         nginxScheduledSeconds: peerScheduled, charactersPerChunk: shape.charactersPerChunk, check: check)
                rows.append(row)
                log(String(format: "cpu %@ via %@: relay %.1f µs/chunk (schedstat %.1f), %.2f context switches/chunk", shape.name, path,
                           row.relayMicrosPerChunk, relayScheduled / Double(max(1, row.chunks)) * 1e6, row.relayContextSwitchesPerChunk ?? 0)
                    + (row.nginxMicrosPerChunk.map { String(format: ", nginx %.1f µs/chunk (schedstat %.1f), ratio %.2f", $0,
                                                            (peerScheduled ?? 0) / Double(max(1, row.chunks)) * 1e6, row.ratio ?? 0) } ?? ""))
            }
        }
        return rows
    }

    /// The LiteLLM proxy's shapes: latency levels, ramp levels and ramp stream shape.
    struct LiteLLMPlan {
        var executable: String?
        var levels: [Int]
        var chunks: Int
        var delayMs: Int
        var ramp: [Int]
        var rampChunks: Int
        var rampDelayMs: Int
        var rampRate: Int
    }

    /// The model both paths ask for (the relay's default; LiteLLM serves it as `openai/<model>`).
    static let model = "generalv3.5"

    /// LiteLLM in front of the relay's own OpenAI endpoint: (1) per-chunk arrival since request start
    /// straight to the relay's `/v1/chat/completions` and through LiteLLM, same prompts and pacing, at
    /// each level; (2) a ramp of long streams through LiteLLM until a step is not clean.
    func litellm(_ plan: LiteLLMPlan) -> BenchReport.PeerResult {
        let name = "LiteLLM proxy"
        let relayPort = environment.relayPort
        let probe = HTTPProbe.status(port: relayPort, method: "POST", path: "/v1/chat/completions",
                                     body: #"{"model":"\#(Self.model)","stream":false,"messages":[{"role":"user","content":"x [[chunks:1]]"}]}"#,
                                     timeoutMs: 5000)
        guard probe == 200 else {
            return .init(name: name, measured: false,
                         reason: "the relay's POST /v1/chat/completions did not answer 200 (got \(probe.map(String.init) ?? "nothing"));"
                             + " LiteLLM can only pass through an OpenAI-compatible endpoint", rows: [])
        }
        let executable: String
        do {
            executable = try plan.executable ?? installLiteLLM()
        } catch {
            return .init(name: name, measured: false, reason: "LiteLLM could not be installed: \(error)", rows: [])
        }
        let version = Self.litellmVersion(executable: executable)
        guard let version, LiteLLMConfig.isAtLeast(version, major: 1, minor: 108) else {
            return .init(name: name, measured: false,
                         reason: "\(executable) is LiteLLM \(version ?? "of unknown version"); the bench needs ≥ 1.108", rows: [])
        }
        let directory = "\(environment.workDir)/litellm"
        let port = HTTPProbe.freePort()
        let masterKey = LiteLLMConfig.makeMasterKey()
        let process: ChildProcess
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try LiteLLMConfig.yaml(relayPort: relayPort, model: Self.model)
                .write(toFile: "\(directory)/config.yaml", atomically: true, encoding: .utf8)
            process = try ChildProcess(name: "litellm", path: executable,
                                       arguments: ["--config", "\(directory)/config.yaml", "--host", "127.0.0.1", "--port", "\(port)",
                                                   "--num_workers", "1"],
                                       environment: LiteLLMConfig.environment(masterKey: masterKey), directory: directory,
                                       logPath: "\(directory)/litellm.log", removing: LiteLLMConfig.removedEnvironment)
        } catch {
            return .init(name: name, measured: false, reason: "cannot start LiteLLM: \(error)", rows: [], version: version)
        }
        environment.adopt(process)
        defer { process.stop() }
        let started = WallClock.monotonicSeconds()
        while HTTPProbe.status(port: port, path: "/health/liveliness", timeoutMs: 1000) != 200 {
            guard WallClock.monotonicSeconds() - started < 180, process.isRunning else {
                return .init(name: name, measured: false, reason: "LiteLLM did not come up; log:\n\(process.log.suffix(2000))", rows: [],
                             version: version)
            }
            usleep(100_000)
        }
        let startSeconds = WallClock.monotonicSeconds() - started
        log(String(format: "LiteLLM %@ on port %d (up in %.1f s)", version, port, startSeconds))
        let litellmProbe = ProcessProbe(pid: process.pid)
        var details = [String(format: "LiteLLM %@, 1 uvicorn worker, 127.0.0.1:%d → relay /v1 at 127.0.0.1:%d; start-up %.1f s; "
                              + "idle RSS %@", version, port, relayPort, startSeconds,
                              ((try? litellmProbe.residentKiB()).map { String(format: "%.0f MiB", Double($0) / 1024) } ?? "?"))]

        // The same bearer token on both paths (the relay accepts any key while its auth is off), so the
        // two requests are byte-identical but for the port.
        let key = masterKey
        // (1) Per-chunk arrival since request start, relay /v1 alone vs through LiteLLM.
        // Warm-up, not measured: LiteLLM's first requests pay lazy initialisation (over a second).
        for (index, streams) in [1, 1, 10].enumerated() {
            let specs = (0..<streams).map { StreamSpec(index: 2_000_000 + index * 100 + $0, chunks: 2, delayMs: 10, stamp: false) }
            for target in [StreamTarget.openAI(port: relayPort, path: "/v1/chat/completions", model: Self.model, apiKey: key),
                           .openAI(port: port, path: "/v1/chat/completions", model: Self.model, apiKey: key)] {
                let warm = LoadRun(group: environment.group).run(specs: specs, target: target, ratePerSecond: rate, timeout: 60)
                if !warm.check.passed { log("LiteLLM warm-up not clean: \(warm.check.examples.prefix(2))") }
            }
        }
        var rows: [BenchReport.PeerRow] = []
        for streams in plan.levels {
            let ramp = LoadRun.rampRate(rate, streams: streams, delayMs: plan.delayMs)
            let limit = Double(streams) / Double(ramp) + Double(plan.chunks * plan.delayMs) / 500 + 60
            let specs = (0..<streams).map { StreamSpec(index: $0, chunks: plan.chunks, delayMs: plan.delayMs, stamp: false) }
            let relayCPU0 = (try? environment.relayProbe?.cpuSeconds()) ?? 0
            let direct = LoadRun(group: environment.group).run(
                specs: specs, target: .openAI(port: relayPort, path: "/v1/chat/completions", model: Self.model, apiKey: key),
                ratePerSecond: ramp, timeout: limit)
            let relayCPU1 = (try? environment.relayProbe?.cpuSeconds()) ?? 0
            let litellmCPU0 = (try? litellmProbe.cpuSeconds()) ?? 0
            let via = LoadRun(group: environment.group).run(
                specs: specs, target: .openAI(port: port, path: "/v1/chat/completions", model: Self.model, apiKey: key),
                ratePerSecond: ramp, timeout: limit)
            let litellmCPU = ((try? litellmProbe.cpuSeconds()) ?? 0) - litellmCPU0
            let relayCPU2 = (try? environment.relayProbe?.cpuSeconds()) ?? 0
            var check = direct.check
            check.merge(via.check)
            let row = BenchReport.PeerRow(streams: streams, viaRelay: direct.latency.summary, viaPeer: via.latency.summary, check: check,
                                          viaRelayFirstChunk: direct.firstChunk.summary, viaPeerFirstChunk: via.firstChunk.summary,
                                          viaRelaySchedule: direct.schedule.summary, viaPeerSchedule: via.schedule.summary)
            rows.append(row)
            let chunks = max(1, via.check.chunks)
            let relayNote = environment.relayProbe == nil ? "" : String(
                format: "; relay CPU %.0f µs per chunk on /v1 alone, %.0f µs behind LiteLLM", (relayCPU1 - relayCPU0) / Double(max(1, direct.check.chunks)) * 1e6,
                (relayCPU2 - relayCPU1) / Double(chunks) * 1e6)
            details.append(String(format: "%d streams: LiteLLM used %.2f CPU-s for %d chunks of %d streams = %.0f µs CPU per chunk, %.1f ms per stream",
                                  streams, litellmCPU, via.check.chunks, streams, litellmCPU / Double(chunks) * 1e6,
                                  litellmCPU / Double(max(1, streams)) * 1e3) + relayNote)
            log(String(format: "LiteLLM %d streams: hop adds p50 %.0f µs, p99 %.0f µs (arrival since request start)", streams,
                       row.added.p50, row.added.p99))
        }

        // (2) How many concurrent streams LiteLLM holds: long streams, all open together, step by step.
        var steps: [BenchReport.RampStep] = []
        var offset = 1_000_000
        for streams in plan.ramp {
            guard process.isRunning else {
                details.append("LiteLLM exited during the ramp; log tail: \(process.log.suffix(500))")
                break
            }
            let specs = (0..<streams).map { StreamSpec(index: offset + $0, chunks: plan.rampChunks, delayMs: plan.rampDelayMs, stamp: false) }
            offset += streams
            let run = LoadRun(group: environment.group)
            let cpu0 = try? litellmProbe.cpuSeconds()
            var peakOpen = 0
            var peakRSS = (try? litellmProbe.residentKiB()) ?? 0
            let began = WallClock.monotonicSeconds()
            let outcome = run.run(specs: specs, target: .openAI(port: port, path: "/v1/chat/completions", model: Self.model, apiKey: key),
                                  ratePerSecond: plan.rampRate,
                                  timeout: Double(streams) / Double(plan.rampRate) + Double(plan.rampChunks * plan.rampDelayMs) / 1000 * 2 + 60) {
                peakOpen = max(peakOpen, run.openStreams.load(ordering: .relaxed))
                if let rss = try? litellmProbe.residentKiB() { peakRSS = max(peakRSS, rss) }
            }
            let cpu1 = try? litellmProbe.cpuSeconds()
            let step = BenchReport.RampStep(streams: streams, peakOpenStreams: peakOpen, seconds: WallClock.monotonicSeconds() - began,
                                            check: outcome.check, peerCPUSeconds: cpu0.flatMap { a in cpu1.map { $0 - a } },
                                            peerPeakRSSKiB: peakRSS)
            steps.append(step)
            log("LiteLLM ramp \(streams): \(peakOpen) open at peak, \(outcome.check.cleanStreams)/\(streams) clean"
                + (outcome.check.passed ? "" : " — \(outcome.check.problemsByKind) e.g. \(outcome.check.examples.prefix(2))"))
            if !outcome.check.passed { break }
            Thread.sleep(forTimeInterval: 2)
        }
        let logTail = process.log.split(separator: "\n").suffix(3).joined(separator: " | ")
        if !logTail.isEmpty { details.append("LiteLLM log tail: \(logTail.prefix(600))") }
        return .init(name: name, measured: true, reason: nil, rows: rows, version: version,
                     metric: "OpenAI chunks carry no simulator stamp: per-chunk arrival since request start, relay /v1 alone vs via LiteLLM",
                     ramp: steps, details: details)
    }

    /// Runs Tests/Bench/litellm-venv.sh (installs `litellm[proxy]>=1.108` from PyPI into a venv when
    /// missing) and returns the `litellm` executable it prints last.
    private func installLiteLLM() throws -> String {
        let script = "\(environment.repoDir)/Tests/Bench/litellm-venv.sh"
        guard FileManager.default.fileExists(atPath: script) else { throw ValidationFailure("\(script) not found (run from the repo root)") }
        log("LiteLLM: bash Tests/Bench/litellm-venv.sh (installs litellm[proxy] from PyPI when missing)")
        let task = Process()
        task.executableURL = URL(fileURLWithPath: "/bin/bash")
        task.arguments = [script]
        let output = Pipe()
        task.standardOutput = output
        task.standardError = FileHandle(forWritingAtPath: "/dev/stderr") ?? FileHandle.standardError
        try task.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        task.waitUntilExit()
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard task.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: last) else {
            throw ValidationFailure("litellm-venv.sh exited \(task.terminationStatus) without an executable path")
        }
        return last
    }

    /// The version of the LiteLLM package next to `executable` (from its venv's `*.dist-info`).
    static func litellmVersion(executable: String) -> String? {
        let venv = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().path
        let lib = "\(venv)/lib"
        for python in (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? [] {
            let site = "\(lib)/\(python)/site-packages"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: site)) ?? [] {
                if let version = LiteLLMConfig.version(distInfo: entry) { return version }
            }
        }
        return nil
    }
}

/// A setup failure with its message.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
