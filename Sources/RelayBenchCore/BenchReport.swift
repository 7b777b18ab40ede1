/// Everything one `relay-bench` run measured; encoded as the `--json` file.
public struct BenchReport: Sendable, Codable {
    /// Relay-added latency at one concurrency.
    public struct LatencyRow: Sendable, Codable {
        /// Concurrent streams.
        public var streams: Int
        /// Chunks per stream and ms between chunks.
        public var chunksPerStream: Int
        public var chunkDelayMs: Int
        /// Simulator → bench over a direct WebSocket.
        public var direct: LatencySummary
        /// Simulator → relay → bench over SSE.
        public var relay: LatencySummary
        /// relay − direct, per percentile.
        public var added: AddedLatency
        /// Correctness of the relayed streams.
        public var check: StreamCheck
        /// Correctness of the direct streams (the baseline itself).
        public var directCheck: StreamCheck

        public init(streams: Int, chunksPerStream: Int, chunkDelayMs: Int, direct: LatencySummary, relay: LatencySummary,
                    check: StreamCheck, directCheck: StreamCheck) {
            self.directCheck = directCheck
            self.streams = streams
            self.chunksPerStream = chunksPerStream
            self.chunkDelayMs = chunkDelayMs
            self.direct = direct
            self.relay = relay
            self.added = AddedLatency(through: relay, baseline: direct)
            self.check = check
        }
    }

    /// Concurrent streams held.
    public struct ScaleResult: Sendable, Codable {
        public var requestedStreams: Int
        public var targetStreams: Int
        public var peakOpenStreams: Int
        public var rssBeforeKiB: Int
        public var rssPeakKiB: Int
        public var rssAfterKiB: Int
        public var kibPerStream: Double
        public var check: StreamCheck
        public var note: String?

        public init(requestedStreams: Int, targetStreams: Int, peakOpenStreams: Int, rssBeforeKiB: Int, rssPeakKiB: Int,
                    rssAfterKiB: Int, check: StreamCheck, note: String?) {
            self.requestedStreams = requestedStreams
            self.targetStreams = targetStreams
            self.peakOpenStreams = peakOpenStreams
            self.rssBeforeKiB = rssBeforeKiB
            self.rssPeakKiB = rssPeakKiB
            self.rssAfterKiB = rssAfterKiB
            self.kibPerStream = peakOpenStreams > 0 ? Double(rssPeakKiB - rssBeforeKiB) / Double(peakOpenStreams) : 0
            self.check = check
            self.note = note
        }
    }

    /// Chunks per second with no pacing.
    public struct ThroughputResult: Sendable, Codable {
        public var streams: Int
        public var chunksPerStream: Int
        public var seconds: Double
        public var chunksPerSecond: Double
        public var megabytesPerSecond: Double
        public var relayCPUSecondsPerMillionChunks: Double
        public var simulatorCPUSeconds: Double
        public var benchCPUSeconds: Double
        public var relayCPUSeconds: Double
        public var check: StreamCheck

        public init(streams: Int, chunksPerStream: Int, seconds: Double, chunks: Int, bytes: Int, relayCPUSeconds: Double,
                    simulatorCPUSeconds: Double, benchCPUSeconds: Double, check: StreamCheck) {
            self.streams = streams
            self.chunksPerStream = chunksPerStream
            self.seconds = seconds
            self.chunksPerSecond = seconds > 0 ? Double(chunks) / seconds : 0
            self.megabytesPerSecond = seconds > 0 ? Double(bytes) / seconds / 1_000_000 : 0
            self.relayCPUSeconds = relayCPUSeconds
            self.relayCPUSecondsPerMillionChunks = chunks > 0 ? relayCPUSeconds / Double(chunks) * 1_000_000 : 0
            self.simulatorCPUSeconds = simulatorCPUSeconds
            self.benchCPUSeconds = benchCPUSeconds
            self.check = check
        }
    }

    /// Exec → first 200 from /healthz.
    public struct StartupResult: Sendable, Codable {
        public var samplesMs: [Double]
        public var medianMs: Double

        public init(samplesMs: [Double]) {
            self.samplesMs = samplesMs
            let sorted = samplesMs.sorted()
            if sorted.isEmpty {
                medianMs = 0
            } else if sorted.count % 2 == 1 {
                medianMs = sorted[sorted.count / 2]
            } else {
                medianMs = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
        }
    }

    /// A proxy in front of the relay: what its hop adds.
    public struct PeerResult: Sendable, Codable {
        public var name: String
        public var measured: Bool
        public var reason: String?
        public var rows: [PeerRow]
        /// The peer's version, when known (LiteLLM).
        public var version: String?
        /// What the rows' numbers are, when not simulator-stamped latency (LiteLLM: arrival since
        /// request start, since OpenAI chunks carry no stamp).
        public var metric: String?
        /// The concurrency ramp through the peer (LiteLLM), step by step, up to the first unclean step.
        public var ramp: [RampStep]?
        /// The highest ramp step at which every stream was clean.
        public var heldStreams: Int?
        /// The first ramp step at which some stream was not clean (`nil`: none broke).
        public var brokeAt: Int?
        /// Further measured facts (CPU, memory, configuration).
        public var details: [String]?

        public init(name: String, measured: Bool, reason: String?, rows: [PeerRow], version: String? = nil,
                    metric: String? = nil, ramp: [RampStep]? = nil, details: [String]? = nil) {
            self.name = name
            self.measured = measured
            self.reason = reason
            self.rows = rows
            self.version = version
            self.metric = metric
            self.ramp = ramp
            self.details = details
            if let ramp {
                heldStreams = ramp.filter(\.check.passed).map(\.streams).max()
                brokeAt = ramp.first { !$0.check.passed }?.streams
            }
        }
    }

    /// One concurrency through a peer: relay alone vs peer + relay.
    public struct PeerRow: Sendable, Codable {
        public var streams: Int
        public var viaRelay: LatencySummary
        public var viaPeer: LatencySummary
        public var added: AddedLatency
        public var check: StreamCheck
        /// Time to the first content chunk since request start (the per-request cost), relay alone and
        /// through the peer, when measured that way.
        public var viaRelayFirstChunk: LatencySummary?
        public var viaPeerFirstChunk: LatencySummary?
        public var addedFirstChunk: AddedLatency?
        /// Per-chunk lateness after the first chunk (arrival of piece k minus arrival of piece 0 minus
        /// k × chunk delay, k ≥ 1): the per-chunk forwarding cost without the per-request one.
        public var viaRelaySchedule: LatencySummary?
        public var viaPeerSchedule: LatencySummary?
        public var addedSchedule: AddedLatency?

        public init(streams: Int, viaRelay: LatencySummary, viaPeer: LatencySummary, check: StreamCheck,
                    viaRelayFirstChunk: LatencySummary? = nil, viaPeerFirstChunk: LatencySummary? = nil,
                    viaRelaySchedule: LatencySummary? = nil, viaPeerSchedule: LatencySummary? = nil) {
            self.streams = streams
            self.viaRelay = viaRelay
            self.viaPeer = viaPeer
            self.added = AddedLatency(through: viaPeer, baseline: viaRelay)
            self.check = check
            self.viaRelaySchedule = viaRelaySchedule
            self.viaPeerSchedule = viaPeerSchedule
            self.viaRelayFirstChunk = viaRelayFirstChunk
            self.viaPeerFirstChunk = viaPeerFirstChunk
            if let viaRelayFirstChunk, let viaPeerFirstChunk {
                addedFirstChunk = AddedLatency(through: viaPeerFirstChunk, baseline: viaRelayFirstChunk)
            }
            if let viaRelaySchedule, let viaPeerSchedule {
                addedSchedule = AddedLatency(through: viaPeerSchedule, baseline: viaRelaySchedule)
            }
        }
    }

    /// One step of a peer's concurrency ramp: `streams` long streams started together.
    public struct RampStep: Sendable, Codable {
        public var streams: Int
        /// Most streams whose response had started and not ended, at once.
        public var peakOpenStreams: Int
        public var seconds: Double
        public var check: StreamCheck
        /// The peer's CPU seconds and peak RSS during the step, when it could be read.
        public var peerCPUSeconds: Double?
        public var peerPeakRSSKiB: Int?

        public init(streams: Int, peakOpenStreams: Int, seconds: Double, check: StreamCheck, peerCPUSeconds: Double?,
                    peerPeakRSSKiB: Int?) {
            self.streams = streams
            self.peakOpenStreams = peakOpenStreams
            self.seconds = seconds
            self.check = check
            self.peerCPUSeconds = peerCPUSeconds
            self.peerPeakRSSKiB = peerPeakRSSKiB
        }
    }

    public var command: String
    public var machine: String
    public var latency: [LatencyRow] = []
    public var scale: ScaleResult?
    public var throughput: ThroughputResult?
    public var startup: StartupResult?
    public var idleRSSKiB: Int?
    public var peers: [PeerResult] = []
    /// `true` when the relay ran on a core of its own (`--pin`).
    public var pinned = false
    public var cpuPerChunk: [CPUPerChunkRow] = []
    /// The `cpu` scenario's figures through nginx (`DeploymentCPU.from(rows: cpuPerChunk)`), when measured.
    public var deploymentCPU: DeploymentCPU?
    /// `true` for `--quick`: a correctness run, whose timings are too short to judge any target.
    public var quick = false
    public var streamMemory: [StreamMemoryRow] = []
    public var soak: SoakResult?
    /// The `engine` scenario: memory and Redis engines side by side (Sources/relay-bench/README.md, "Cost of the Redis engine").
    public var engine: EngineComparison?
    /// The `accounting` scenario: budgets and the usage file on against off, per engine.
    public var accounting: [AccountingRow] = []
    /// The `tracing` scenario: tracing on (every request sampled, spans exported) against off.
    public var tracing: TracingCost?

    /// An empty report for `command` on `machine`.
    public init(command: String, machine: String) {
        self.command = command
        self.machine = machine
    }

    /// `true` when every measured batch of streams was clean.
    public var allStreamsCorrect: Bool {
        var checks: [StreamCheck] = latency.map(\.check) + latency.map(\.directCheck) + [scale?.check, throughput?.check].compactMap { $0 }
        checks += peers.flatMap { $0.rows.map(\.check) } + cpuPerChunk.map(\.check) + streamMemory.map(\.check)
        checks += [soak?.check].compactMap { $0 } + (engine?.rows.map(\.check) ?? [])
        checks += accounting.map(\.check) + [tracing?.check].compactMap { $0 }
        return checks.allSatisfy(\.passed) && accounting.allSatisfy(\.usageRecordsComplete) && (tracing?.spansAccountedFor ?? true)
    }
}
