/// What the Redis server itself spent and kept over one `engine` batch: its CPU (utime + stime from
/// `/proc`, all its threads) and `INFO memory` `used_memory` before the streams started and after
/// they had all finished (before `stream.replay_window` expired their logs).
public struct RedisCost: Sendable, Codable, Equatable {
    public var cpuSeconds: Double
    /// Redis CPU per relayed chunk, µs (information: the goal is on the relay's CPU).
    public var microsPerChunk: Double
    /// `used_memory` in bytes, before and after.
    public var usedMemoryBefore: Int
    public var usedMemoryAfter: Int
    /// Keys in the database after the batch (`DBSIZE`).
    public var keysAfter: Int
    /// Streams that finished (completed with `done`, every chunk checked).
    public var finishedStreams: Int
    /// (after − before) ÷ finished streams, bytes.
    public var bytesPerFinishedStream: Double
    /// The relay's effective `stream.replay_buffer_bytes`: the bound per stream.
    public var replayBufferBytes: Int

    public init(cpuSeconds: Double, chunks: Int, usedMemoryBefore: Int, usedMemoryAfter: Int, keysAfter: Int, finishedStreams: Int,
                replayBufferBytes: Int) {
        self.cpuSeconds = cpuSeconds
        self.microsPerChunk = PerChunk.micros(cpuSeconds, chunks: chunks)
        self.usedMemoryBefore = usedMemoryBefore
        self.usedMemoryAfter = usedMemoryAfter
        self.keysAfter = keysAfter
        self.finishedStreams = finishedStreams
        self.bytesPerFinishedStream = Double(usedMemoryAfter - usedMemoryBefore) / Double(max(1, finishedStreams))
        self.replayBufferBytes = replayBufferBytes
    }

    /// Memory per finished stream within `stream.replay_buffer_bytes` (`nil`: no stream finished).
    public var withinReplayBuffer: Bool? {
        finishedStreams > 0 ? bytesPerFinishedStream <= Double(replayBufferBytes) : nil
    }
}

/// One engine's cost over the `engine` scenario: `streams` concurrent ticket streams (`POST /chat`,
/// then `GET /chat/stream/{id}`, the path the Redis engine logs to Redis) on a fresh relay, with the
/// relay's CPU per chunk and, for `redis`, what Redis spent and kept.
public struct EngineCostRow: Sendable, Codable, Equatable {
    /// `memory` or `redis` (`cluster.engine`).
    public var engine: String
    public var streams: Int
    public var chunksPerStream: Int
    public var delayMs: Int
    /// Chunks the bench received and checked.
    public var chunks: Int
    public var seconds: Double
    public var relayCPUSeconds: Double
    /// Relay CPU per chunk, µs.
    public var relayMicrosPerChunk: Double
    public var redis: RedisCost?
    public var check: StreamCheck

    public init(engine: String, streams: Int, chunksPerStream: Int, delayMs: Int, seconds: Double, relayCPUSeconds: Double,
                redis: RedisCost?, check: StreamCheck) {
        self.engine = engine
        self.streams = streams
        self.chunksPerStream = chunksPerStream
        self.delayMs = delayMs
        self.chunks = check.chunks
        self.seconds = seconds
        self.relayCPUSeconds = relayCPUSeconds
        self.relayMicrosPerChunk = PerChunk.micros(relayCPUSeconds, chunks: check.chunks)
        self.redis = redis
        self.check = check
    }
}

/// The `engine` scenario's result: a row per engine measured in this run (memory, then redis when
/// asked), and the Redis engine's two targets in README.md's Performance table: relay CPU per chunk
/// with Redis ≤ 2× the memory engine's, and Redis memory per finished stream ≤
/// `stream.replay_buffer_bytes`.
public struct EngineComparison: Sendable, Codable, Equatable {
    /// The largest redis ÷ memory ratio of relay CPU per chunk that meets the goal.
    public static let cpuRatioGoal = 2.0

    public var rows: [EngineCostRow]
    /// Relay CPU per chunk, redis ÷ memory, when both ran and the memory engine spent any.
    public var cpuRatio: Double?

    public init(rows: [EngineCostRow]) {
        self.rows = rows
        let memory = rows.first { $0.engine == "memory" }
        let redis = rows.first { $0.engine == "redis" }
        if let memory, let redis, memory.relayMicrosPerChunk > 0 {
            cpuRatio = redis.relayMicrosPerChunk / memory.relayMicrosPerChunk
        }
    }

    /// Relay CPU ratio within the goal (`nil`: not both engines measured).
    public var cpuWithinGoal: Bool? { cpuRatio.map { $0 <= Self.cpuRatioGoal } }

    /// Redis memory per finished stream within the replay buffer (`nil`: Redis not measured).
    public var memoryWithinGoal: Bool? { rows.first { $0.engine == "redis" }?.redis?.withinReplayBuffer }
}
