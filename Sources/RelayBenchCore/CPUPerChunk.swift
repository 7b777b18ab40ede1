/// CPU time a process spent per relayed chunk over one batch of streams, read before and after the
/// batch two ways: `/proc/PID/stat` utime + stime (10 ms ticks) and the threads' `schedstat`
/// (nanoseconds on the CPU). The relay's alone, or the relay's and nginx's (its worker processes, not
/// the master) on the very same chunks when nginx is in front.
public struct CPUPerChunkRow: Sendable, Codable, Equatable {
    /// "paced" (100 chunks per stream, one frame per upstream read, `delayMs` apart), "paced-long"
    /// (the same with more chunks), "per-stream" (one-chunk streams) or "unpaced" (delay 0).
    public var shape: String
    /// "relay" (bench → relay) or "nginx → relay".
    public var path: String
    public var streams: Int
    public var chunksPerStream: Int
    public var delayMs: Int
    /// Chunks the bench received and checked.
    public var chunks: Int
    public var relayCPUSeconds: Double
    public var nginxCPUSeconds: Double?
    /// Relay CPU per chunk, µs.
    public var relayMicrosPerChunk: Double
    /// nginx CPU per chunk, µs (nginx rows only).
    public var nginxMicrosPerChunk: Double?
    /// relay ÷ nginx per chunk (nginx rows only).
    public var ratio: Double?
    /// The relay's context switches (voluntary + involuntary, all threads) per chunk.
    public var relayContextSwitchesPerChunk: Double?
    /// The same batch by `schedstat`, seconds: the relay's threads, nginx's workers.
    public var relayScheduledSeconds: Double?
    public var nginxScheduledSeconds: Double?
    /// Characters of content per chunk asked of the simulator (`[[chunk-chars:N]]`); `nil`: its default split.
    public var charactersPerChunk: Int?
    public var check: StreamCheck

    public init(shape: String, path: String, streams: Int, chunksPerStream: Int, delayMs: Int, relayCPUSeconds: Double,
                nginxCPUSeconds: Double?, relayContextSwitches: Int? = nil, relayScheduledSeconds: Double? = nil,
                nginxScheduledSeconds: Double? = nil, charactersPerChunk: Int? = nil, check: StreamCheck) {
        self.shape = shape
        self.path = path
        self.streams = streams
        self.chunksPerStream = chunksPerStream
        self.delayMs = delayMs
        self.chunks = check.chunks
        self.relayCPUSeconds = relayCPUSeconds
        self.nginxCPUSeconds = nginxCPUSeconds
        self.relayMicrosPerChunk = PerChunk.micros(relayCPUSeconds, chunks: check.chunks)
        self.nginxMicrosPerChunk = nginxCPUSeconds.map { PerChunk.micros($0, chunks: check.chunks) }
        self.ratio = nginxCPUSeconds.flatMap { $0 > 0 ? relayCPUSeconds / $0 : nil }
        self.relayContextSwitchesPerChunk = relayContextSwitches.map { Double($0) / Double(max(1, check.chunks)) }
        self.relayScheduledSeconds = relayScheduledSeconds
        self.nginxScheduledSeconds = nginxScheduledSeconds
        self.charactersPerChunk = charactersPerChunk
        self.check = check
    }

    /// Relay and nginx CPU of this batch per chunk (`perStream` false) or per stream, by both clocks;
    /// `nil` on a row without nginx.
    public func comparison(perStream: Bool = false) -> CPUComparison? {
        guard let nginxCPUSeconds else { return nil }
        let count = Double(max(1, perStream ? streams : chunks))
        return CPUComparison(relayScheduled: (relayScheduledSeconds ?? 0) / count, nginxScheduled: (nginxScheduledSeconds ?? 0) / count,
                             relayTicks: relayCPUSeconds / count, nginxTicks: nginxCPUSeconds / count)
    }
}

/// Relay memory per open stream over plain `ws://` or `wss://` upstreams: RSS before and with
/// `streams` long streams open, from the same relay build.
public struct StreamMemoryRow: Sendable, Codable, Equatable {
    /// "ws" or "wss".
    public var upstream: String
    public var streams: Int
    public var peakOpenStreams: Int
    public var rssBeforeKiB: Int
    public var rssPeakKiB: Int
    public var kibPerStream: Double
    public var check: StreamCheck

    public init(upstream: String, streams: Int, peakOpenStreams: Int, rssBeforeKiB: Int, rssPeakKiB: Int, check: StreamCheck) {
        self.upstream = upstream
        self.streams = streams
        self.peakOpenStreams = peakOpenStreams
        self.rssBeforeKiB = rssBeforeKiB
        self.rssPeakKiB = rssPeakKiB
        self.kibPerStream = peakOpenStreams > 0 ? Double(rssPeakKiB - rssBeforeKiB) / Double(peakOpenStreams) : 0
        self.check = check
    }
}

/// A soak: concurrent clients of mixed behaviour for a while, then the relay's RSS while idle.
public struct SoakResult: Sendable, Codable, Equatable {
    public var seconds: Double
    public var concurrency: Int
    /// Streams by behaviour (complete, leave, error, drop, stall, resume).
    public var streamsByKind: [String: Int]
    /// Resumes with `Last-Event-ID` whose replay and continuation were exact.
    public var exactResumes: Int
    public var rssIdleKiB: Int
    public var rssPeakKiB: Int
    /// RSS `afterSeconds` after the load stopped.
    public var rssAfterKiB: Int
    public var afterSeconds: Double
    /// Open descriptors of the relay before and after.
    public var descriptorsBefore: Int?
    public var descriptorsAfter: Int?
    public var check: StreamCheck

    public init(seconds: Double, concurrency: Int, streamsByKind: [String: Int], exactResumes: Int, rssIdleKiB: Int, rssPeakKiB: Int,
                rssAfterKiB: Int, afterSeconds: Double, descriptorsBefore: Int?, descriptorsAfter: Int?, check: StreamCheck) {
        self.seconds = seconds
        self.concurrency = concurrency
        self.streamsByKind = streamsByKind
        self.exactResumes = exactResumes
        self.rssIdleKiB = rssIdleKiB
        self.rssPeakKiB = rssPeakKiB
        self.rssAfterKiB = rssAfterKiB
        self.afterSeconds = afterSeconds
        self.descriptorsBefore = descriptorsBefore
        self.descriptorsAfter = descriptorsAfter
        self.check = check
    }

    /// RSS after ÷ idle RSS (goal ≤ 2).
    public var afterOverIdle: Double { rssIdleKiB > 0 ? Double(rssAfterKiB) / Double(rssIdleKiB) : 0 }
}
