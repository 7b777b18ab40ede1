/// What accounting costs (the `accounting` scenario): the relay's CPU per paced chunk with a named
/// key that has a budget and the usage file on, against the same relay build with both off, on one
/// engine, rounds interleaved (off, on, off, on, …) so that drift on a busy machine falls on both.
public struct AccountingRow: Sendable, Codable, Equatable {
    /// `memory` or `redis`.
    public var engine: String
    /// Streams per side, over every round.
    public var streams: Int
    public var chunksPerStream: Int
    public var delayMs: Int
    public var offCPUSeconds: Double
    public var onCPUSeconds: Double
    public var offMicrosPerChunk: Double
    public var onMicrosPerChunk: Double
    /// on ÷ off per chunk.
    public var ratio: Double?
    /// Records the usage file held after the run (one per stream on the "on" side).
    public var usageRecords: Int
    /// Redis commands per request on each side (`redis` only): the "on" side's extra commands are
    /// the budget's (admission and the end's tokens), whatever the number of chunks.
    public var redisCommandsPerRequestOff: Double?
    public var redisCommandsPerRequestOn: Double?
    public var check: StreamCheck

    public init(engine: String, streams: Int, chunksPerStream: Int, delayMs: Int, offCPUSeconds: Double, onCPUSeconds: Double,
                offCheck: StreamCheck, onCheck: StreamCheck, usageRecords: Int, redisCommands: (off: Int, on: Int)?) {
        self.engine = engine
        self.streams = streams
        self.chunksPerStream = chunksPerStream
        self.delayMs = delayMs
        self.offCPUSeconds = offCPUSeconds
        self.onCPUSeconds = onCPUSeconds
        self.offMicrosPerChunk = PerChunk.micros(offCPUSeconds, chunks: offCheck.chunks)
        self.onMicrosPerChunk = PerChunk.micros(onCPUSeconds, chunks: onCheck.chunks)
        self.ratio = offMicrosPerChunk > 0 ? onMicrosPerChunk / offMicrosPerChunk : nil
        self.usageRecords = usageRecords
        self.redisCommandsPerRequestOff = redisCommands.map { Double($0.off) / Double(max(1, streams)) }
        self.redisCommandsPerRequestOn = redisCommands.map { Double($0.on) / Double(max(1, streams)) }
        var check = offCheck
        check.merge(onCheck)
        self.check = check
    }

    /// `true` when the usage file holds one record per stream of the "on" side.
    public var usageRecordsComplete: Bool { usageRecords == streams }

    /// The largest on ÷ off ratio that meets the goal.
    public static let ratioGoal = 1.05

    /// Within the goal (`nil`: not measured).
    public var withinGoal: Bool? { ratio.map { $0 <= Self.ratioGoal } }
}
