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

        public init(name: String, measured: Bool, reason: String?, rows: [PeerRow]) {
            self.name = name
            self.measured = measured
            self.reason = reason
            self.rows = rows
        }
    }

    /// One concurrency through a peer: relay alone vs peer + relay.
    public struct PeerRow: Sendable, Codable {
        public var streams: Int
        public var viaRelay: LatencySummary
        public var viaPeer: LatencySummary
        public var added: AddedLatency
        public var check: StreamCheck

        public init(streams: Int, viaRelay: LatencySummary, viaPeer: LatencySummary, check: StreamCheck) {
            self.streams = streams
            self.viaRelay = viaRelay
            self.viaPeer = viaPeer
            self.added = AddedLatency(through: viaPeer, baseline: viaRelay)
            self.check = check
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

    /// An empty report for `command` on `machine`.
    public init(command: String, machine: String) {
        self.command = command
        self.machine = machine
    }

    /// `true` when every measured batch of streams was clean.
    public var allStreamsCorrect: Bool {
        let checks = latency.map(\.check) + latency.map(\.directCheck) + [scale?.check, throughput?.check].compactMap { $0 }
            + peers.flatMap { $0.rows.map(\.check) }
        return checks.allSatisfy(\.passed)
    }
}
