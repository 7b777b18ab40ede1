import ArgumentParser
import Foundation
import RelayBenchCore
import RelayCrypto

/// `relay-bench`: measures spark-relay against the targets of README.md's Performance table, with `spark-sim` as
/// the upstream, and checks every relayed chunk on the way.
@main
struct BenchCommand: ParsableCommand {
    static func main() {
        OpenSSLRuntime.initialize()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "relay-bench",
        abstract: "Latency, scale, throughput, start-up and memory of spark-relay over loopback with spark-sim upstream.")

    @Flag(help: "Small smoke run (a few hundred streams, seconds); exits non-zero on wrong results, never on timings.")
    var quick = false

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    @Option(help: "Scenarios, comma-separated: latency,scale,throughput,startup,idle,cpu,accounting,tracing,memory,soak,engine (default: all but engine; with --engine redis: all, and accounting on both engines). tracing: relay CPU with tracing on (every request sampled, spans exported to the bench's own OTLP/HTTP collector) against off, on --paced-shape and --per-stream-shape.")
    var scenarios: String?

    @Option(help: "Engine for the engine scenario: memory, or redis (starts /usr/bin/redis-server on a free port, then measures memory and redis back to back on fresh relays).")
    var engine = "memory"

    @Option(help: "Engine scenario: concurrent ticket streams, chunks per stream, ms between chunks.")
    var engineShape = "1000,20,200"

    @Option(help: "Engine scenario: stream.replay_buffer_bytes for both relays (default: Config/relay.json's, else the built-in 262144).")
    var engineReplayBufferBytes: Int?

    @Flag(help: "Give the relay (and nginx) core 1 of its own with sched_setaffinity; the simulator and the bench share core 0.")
    var pin = false

    @Option(help: "Pinned latency: cap the chunks per second the latency scenario offers (longer chunk delay at high concurrency).")
    var pinnedMaxChunksPerSecond = 20_000

    @Option(help: "CPU per chunk, paced: streams, chunks per stream, ms between chunks (one frame per upstream read).")
    var pacedShape = "50,100,20"

    @Option(help: "CPU per chunk through nginx: chunks per stream of the long paced batch (same streams and pacing as --paced-shape); the per-stream part is the difference of the two.")
    var pacedLongChunks = 400

    @Option(help: "CPU per stream through nginx: one-chunk streams, and new streams per second (about 20 open at a time at 800/s).")
    var perStreamShape = "400,800"

    @Option(help: "CPU per chunk: characters of content in every paced chunk ([[chunk-chars:N]]; Spark's deltas are 8–14 characters, 24–42 bytes); 0: the simulator's own split (0–1 characters per chunk at 100 chunks).")
    var chunkCharacters = 14

    @Option(help: "CPU per chunk: ms between the starts of two groups of paced streams (1: spread over the chunk interval as independent users are; 10: two bursts of half the streams each, as before).")
    var pacedStartIntervalMs = 1

    @Option(help: "CPU per chunk: batches of the paced and unpaced shapes run back to back inside one CPU reading (/proc counts 10 ms ticks; more rounds, finer figures).")
    var cpuRounds = 4

    @Option(help: "CPU per chunk, unpaced: streams, chunks per stream (delay 0).")
    var unpacedShape = "20,1000"

    @Option(help: "Streams held open for memory per stream over ws:// and wss://.")
    var memoryStreams = 1000

    @Option(help: "Soak: seconds of load, concurrent clients, seconds to wait idle afterwards.")
    var soakSeconds = 30
    @Option var soakClients = 60
    @Option var soakIdleSeconds = 90

    @Flag(help: "Also measure proxies in front of the relay: nginx (project config) and LiteLLM.")
    var peers = false

    @Option(help: "Use a running relay at this URL (http://127.0.0.1:PORT) instead of starting one (no RSS/CPU then).")
    var relayURL: String?

    @Option(help: "Concurrent streams for the scale scenario.")
    var streams = 10_000

    @Option(help: "Concurrencies for the latency scenario (default 1,100,1000; with --pin 100,1000,5000).")
    var latencyStreams: String?

    @Option(help: "Chunks per stream in the latency scenario.")
    var latencyChunks = 20

    @Option(help: "Milliseconds between chunks in the latency scenario.")
    var latencyDelayMs = 50

    @Option(help: "Chunks per stream and ms between chunks in the scale scenario.")
    var scaleChunks = 10
    @Option var scaleDelayMs = 1500

    @Option(help: "Streams and chunks per stream in the throughput scenario (chunk delay 0).")
    var throughputStreams = 100
    @Option var throughputChunks = 2000

    @Option(help: "New streams per second while ramping.")
    var rate = 2000

    @Option(help: "The bench's own event loops.")
    var clientLoops = 2

    @Option(help: "The LiteLLM proxy's `litellm` executable (default: Tests/Bench/litellm-venv.sh installs litellm[proxy]>=1.108 from PyPI into .build-bench/litellm-venv when missing).")
    var litellm: String?

    @Option(help: "Concurrencies for the LiteLLM per-chunk comparison (relay /v1 alone vs via LiteLLM).")
    var litellmStreams = "1,10,100"

    @Option(help: "Concurrency ramp through LiteLLM; stops at the first step that is not clean.")
    var litellmRamp = "50,100,200,400,800,1600,3200"

    @Option(help: "Chunks per stream and ms between chunks in the LiteLLM ramp; new streams per second while ramping.")
    var litellmRampChunks = 10
    @Option var litellmRampDelayMs = 2000
    @Option var litellmRampRate = 500

    @Option(help: "Peers to run with --peers, comma-separated: nginx,litellm.")
    var peerList = "nginx,litellm"

    @Option(name: .customLong("upstream-protocol"), help: "How the relays under test talk to the simulator: websocket (Spark's signed WebSocket) or http (its OpenAI-style HTTP API, pooled keep-alive connections).")
    var upstreamProtocol = "websocket"

    @Option(help: "Directory holding spark-sim and spark-relay (default: the bench's own).")
    var buildDir: String?

    func run() throws {
        raiseDescriptorLimit()
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let buildDir = self.buildDir ?? executable.deletingLastPathComponent().path
        let repoDir = FileManager.default.currentDirectoryPath
        let log: (String) -> Void = { FileHandle.standardError.write(Data("relay-bench: \($0)\n".utf8)) }
        var report = BenchReport(command: CommandLine.arguments.joined(separator: " "), machine: Self.machine())
        guard ["memory", "redis"].contains(engine) else { throw ValidationError("--engine must be memory or redis, got '\(engine)'") }
        let scenarioList = scenarios ?? "latency,scale,throughput,startup,idle,cpu,accounting,tracing,memory,soak" + (engine == "redis" ? ",engine" : "")
        let selected = Set(scenarioList.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let known: Set = ["latency", "scale", "throughput", "startup", "idle", "cpu", "accounting", "tracing", "memory", "soak", "engine"]
        if let unknown = selected.subtracting(known).sorted().first { throw ValidationError("--scenarios: unknown scenario '\(unknown)'") }
        let engineShape = try Self.ints(self.engineShape, count: 3, name: "--engine-shape")
        if let bytes = engineReplayBufferBytes, !(1024...1_073_741_824).contains(bytes) {
            throw ValidationError("--engine-replay-buffer-bytes must be 1024 to 1073741824 (the relay's range for stream.replay_buffer_bytes), got \(bytes)")
        }
        if selected.contains("engine"), engine == "redis", !FileManager.default.isExecutableFile(atPath: BenchEnvironment.redisServerPath) {
            throw ValidationError("--engine redis needs \(BenchEnvironment.redisServerPath) (Debian package redis-server: apt-get install redis-server)")
        }
        guard (0...10_000).contains(chunkCharacters) else { throw ValidationError("--chunk-characters must be 0 to 10000") }
        guard (1...1000).contains(pacedStartIntervalMs) else { throw ValidationError("--paced-start-interval-ms must be 1 to 1000") }
        guard ["websocket", "http"].contains(upstreamProtocol) else {
            throw ValidationError("--upstream-protocol must be websocket or http, got '\(upstreamProtocol)'")
        }
        let environment = try BenchEnvironment(buildDir: buildDir, repoDir: repoDir, clientLoops: clientLoops)
        environment.upstreamProtocol = upstreamProtocol
        defer { environment.stopAll() }
        environment.pin = pin
        if pin && ProcessInfo.processInfo.activeProcessorCount < 2 {
            throw ValidationError("--pin needs at least 2 cores")
        }
        report.pinned = pin
        report.quick = quick
        try environment.startSimulator()
        log("spark-sim on port \(environment.simulatorPort)")
        if let relayURL {
            guard let port = relayURL.split(separator: ":").last.flatMap({ Int($0.prefix(while: \.isNumber)) }) else {
                throw ValidationError("--relay-url must look like http://127.0.0.1:PORT")
            }
            environment.useExternalRelay(port: port)
        } else {
            try environment.startRelay()
        }
        log("spark-relay on port \(environment.relayPort)")
        environment.applyPinning()

        let q = quick
        var engineMissing = false
        let scenarios = Scenarios(environment: environment, rate: rate, log: log)
        if selected.contains("idle") { report.idleRSSKiB = scenarios.idleRSS() }
        if selected.contains("startup"), relayURL == nil { report.startup = scenarios.startup(samples: q ? 3 : 10) }
        // CPU per chunk first, on a relay that has not yet been through the scale scenario's 10,000 streams.
        let peerScenarios = PeerScenarios(environment: environment, rate: rate, log: log)
        let peerNames = Set(peerList.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        if selected.contains("cpu") {
            let paced = try Self.ints(pacedShape, count: 3, name: "--paced-shape")
            let unpaced = try Self.ints(unpacedShape, count: 2, name: "--unpaced-shape")
            let perStream = try Self.ints(perStreamShape, count: 2, name: "--per-stream-shape")
            let characters = chunkCharacters > 0 ? chunkCharacters : nil
            let startInterval = Double(pacedStartIntervalMs) / 1000
            let rounds = q ? 1 : max(1, cpuRounds)
            let withNginx = peers && !q && peerNames.contains("nginx")
            let pacedStreams = q ? 10 : paced[0]
            // Paced streams start in groups a millisecond apart (by default), so their frames spread over the chunk interval.
            var shapes = [PeerScenarios.CPUShape(name: "paced", streams: pacedStreams, chunks: q ? 20 : paced[1], delayMs: paced[2], rounds: rounds,
                                                 charactersPerChunk: characters, startInterval: startInterval)]
            if withNginx {
                shapes.append(PeerScenarios.CPUShape(name: "paced-long", streams: pacedStreams, chunks: pacedLongChunks, delayMs: paced[2],
                                                     rounds: rounds, charactersPerChunk: characters, nginxOnly: true, startInterval: startInterval))
                shapes.append(PeerScenarios.CPUShape(name: "per-stream", streams: perStream[0], chunks: 1, delayMs: paced[2], rounds: rounds,
                                                     charactersPerChunk: characters, nginxOnly: true, rate: max(1, perStream[1])))
            }
            shapes.append(PeerScenarios.CPUShape(name: "unpaced", streams: q ? 5 : unpaced[0], chunks: q ? 200 : unpaced[1], delayMs: 0, rounds: rounds))
            report.cpuPerChunk = peerScenarios.cpuPerChunk(shapes: shapes, withNginx: withNginx)
            report.deploymentCPU = DeploymentCPU.from(rows: report.cpuPerChunk)
        }
        if selected.contains("accounting") {
            if relayURL != nil {
                log("accounting: needs relays the bench starts (not --relay-url)")
            } else {
                let paced = try Self.ints(pacedShape, count: 3, name: "--paced-shape")
                let shape = AccountingScenario.Shape(streams: q ? 10 : paced[0], chunks: q ? 20 : paced[1], delayMs: paced[2],
                                                     rounds: q ? 1 : max(1, cpuRounds))
                let engines = engine == "redis" ? ["memory", "redis"] : ["memory"]
                report.accounting = AccountingScenario(environment: environment, rate: rate, log: log).run(engines: engines, shape: shape)
                engineMissing = engineMissing || report.accounting.count < engines.count
            }
        }
        var tracingMissing = false
        if selected.contains("tracing") {
            if relayURL != nil {
                log("tracing: needs relays the bench starts (not --relay-url)")
            } else {
                let paced = try Self.ints(pacedShape, count: 3, name: "--paced-shape")
                let perStream = try Self.ints(perStreamShape, count: 2, name: "--per-stream-shape")
                // The cpu scenario's paced chunks and one-chunk streams; --quick shrinks them to a correctness check.
                let shape = TracingScenario.Shape(pacedStreams: q ? 10 : paced[0], chunks: q ? 20 : paced[1], delayMs: paced[2],
                                                  charactersPerChunk: chunkCharacters > 0 ? chunkCharacters : nil,
                                                  startInterval: Double(pacedStartIntervalMs) / 1000, shortStreams: q ? 40 : perStream[0],
                                                  shortRate: max(1, perStream[1]), rounds: q ? 1 : max(1, cpuRounds))
                do {
                    report.tracing = try TracingScenario(environment: environment, rate: rate, log: log).run(shape: shape)
                } catch {
                    log("tracing not measured: \(error)")
                    tracingMissing = true
                }
            }
        }
        if selected.contains("latency") {
            let levelText = latencyStreams ?? (pin ? "100,1000,5000" : "1,100,1000")
            let levels = q ? [1, 50] : levelText.split(separator: ",").compactMap { Int($0) }
            report.latency = scenarios.latency(levels: levels, chunks: q ? 5 : latencyChunks, delayMs: q ? 20 : latencyDelayMs,
                                               maxChunksPerSecond: pin ? pinnedMaxChunksPerSecond : nil)
        }
        if selected.contains("throughput") {
            report.throughput = scenarios.throughput(streams: q ? 20 : throughputStreams, chunks: q ? 200 : throughputChunks)
        }
        if selected.contains("scale") {
            report.scale = scenarios.scale(requested: q ? 200 : streams, chunks: q ? 5 : scaleChunks, delayMs: q ? 200 : scaleDelayMs)
        }
        if selected.contains("memory"), relayURL == nil {
            let count = q ? 50 : memoryStreams
            // A fresh relay for each scheme: the main one's heap already holds the free space of earlier scenarios.
            do {
                let fresh = try environment.startExtraRelay(name: "memory-ws")
                report.streamMemory.append(scenarios.streamMemory(upstream: "ws", port: fresh.port, probe: ProcessProbe(pid: fresh.relay.pid),
                                                                  streams: count, chunks: 3, delayMs: 1500, indexOffset: 4_000_000))
                fresh.relay.stop()
            } catch {
                log("memory over ws:// not measured: \(error)")
            }
            do {
                let pair = try environment.startTLSPair()
                report.streamMemory.append(scenarios.streamMemory(upstream: "wss", port: pair.port, probe: ProcessProbe(pid: pair.relay.pid),
                                                                  streams: count, chunks: 3, delayMs: 1500, indexOffset: 4_500_000))
            } catch {
                log("memory over wss:// not measured: \(error)")
            }
        }
        if selected.contains("engine") {
            if relayURL != nil {
                log("engine: needs relays the bench starts (not --relay-url)")
            } else {
                let shape = EngineScenario.Shape(streams: q ? 50 : engineShape[0], chunks: q ? 10 : engineShape[1], delayMs: q ? 50 : engineShape[2])
                let engines = engine == "redis" ? ["memory", "redis"] : ["memory"]
                let comparison = EngineScenario(environment: environment, rate: rate, log: log)
                    .run(engines: engines, shape: shape, replayBufferBytes: engineReplayBufferBytes)
                report.engine = comparison
                engineMissing = comparison.rows.count < engines.count
            }
        }
        if selected.contains("soak"), relayURL == nil {
            report.soak = scenarios.soak(seconds: q ? 3 : soakSeconds, clients: q ? 10 : soakClients, idleSeconds: q ? 3 : soakIdleSeconds)
        }
        if peers && !q {
            if peerNames.contains("nginx") {
                report.peers.append(peerScenarios.nginx(levels: [100, 1000], chunks: latencyChunks, delayMs: latencyDelayMs))
            }
            if peerNames.contains("litellm") {
                let ints: (String) -> [Int] = { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
                report.peers.append(peerScenarios.litellm(.init(
                    executable: litellm, levels: ints(litellmStreams), chunks: latencyChunks, delayMs: latencyDelayMs,
                    ramp: ints(litellmRamp), rampChunks: litellmRampChunks, rampDelayMs: litellmRampDelayMs,
                    rampRate: litellmRampRate)))
            }
        }
        print(ReportTable.render(report))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        if engineMissing {
            log("FAILED: the engine or accounting scenario could not measure every engine asked for (see above)")
            environment.stopAll()
            throw ExitCode.failure
        }
        if tracingMissing {
            log("FAILED: the tracing scenario could not run (see above)")
            environment.stopAll()
            throw ExitCode.failure
        }
        if let tracing = report.tracing, !tracing.spansAccountedFor {
            log("FAILED: tracing: " + tracing.spanProblems.joined(separator: "; "))
            environment.stopAll()
            throw ExitCode.failure
        }
        if !report.allStreamsCorrect {
            log("FAILED: some streams lost, duplicated or reordered chunks, had wrong text or did not complete")
            environment.stopAll()
            throw ExitCode.failure
        }
    }

    /// `count` comma-separated integers from `text`.
    private static func ints(_ text: String, count: Int, name: String) throws -> [Int] {
        let values = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == count, values.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("\(name) needs \(count) comma-separated non-negative integers, got '\(text)'")
        }
        return values
    }

    /// Soft RLIMIT_NOFILE up to the hard limit (children inherit it).
    private func raiseDescriptorLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    private static func machine() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory / 1_048_576
        return "\(cores) cores, \(memory) MiB, \(ProcessInfo.processInfo.operatingSystemVersionString)"
    }
}
