import Foundation
import RelayBenchCore

/// The cost of the Redis engine (Sources/relay-bench/README.md): for each engine asked (memory first, then redis), a fresh
/// relay on the same simulator runs `streams` concurrent ticket streams (`POST /chat`, then
/// `GET /chat/stream/{id}`: the streams the Redis engine logs to Redis), every chunk checked. Reports
/// the relay's CPU per chunk, and with redis Redis's own CPU per chunk and its `used_memory` per
/// finished stream against `stream.replay_buffer_bytes`.
struct EngineScenario {
    let environment: BenchEnvironment
    let rate: Int
    let log: (String) -> Void

    /// One batch's shape.
    struct Shape {
        let streams: Int
        let chunks: Int
        let delayMs: Int
    }

    /// Streams used to warm each fresh relay up (first connections, the Redis clients) before measuring.
    private static let warmUpStreams = 20

    /// Runs `engines` one after another; an engine whose relay or Redis could not start is logged and
    /// left out of the comparison.
    func run(engines: [String], shape: Shape, replayBufferBytes: Int?) -> EngineComparison {
        var rows: [EngineCostRow] = []
        var offset = 6_000_000
        for engine in engines {
            do {
                rows.append(try measure(engine: engine, shape: shape, replayBufferBytes: replayBufferBytes, indexOffset: offset))
            } catch {
                log("engine \(engine) not measured: \(error)")
            }
            offset += 500_000
        }
        let comparison = EngineComparison(rows: rows)
        if let ratio = comparison.cpuRatio {
            log(String(format: "engine: relay CPU per chunk redis ÷ memory = %.2f× (goal ≤ %.0f×)", ratio, EngineComparison.cpuRatioGoal))
        }
        return comparison
    }

    private func measure(engine: String, shape: Shape, replayBufferBytes: Int?, indexOffset: Int) throws -> EngineCostRow {
        var redis: (process: ChildProcess, port: Int)?
        if engine == "redis" { redis = try environment.startRedis() }
        let config = try environment.writeEngineConfig(engine: engine, redisPort: redis?.port, replayBufferBytes: replayBufferBytes)
        let (relay, port) = try environment.startConfiguredRelay(name: "engine-\(engine)", config: config.path)
        defer { relay.stop() }
        environment.applyPinning()
        let relayProbe = ProcessProbe(pid: relay.pid)
        let specs: (Int, Int, Int) -> [StreamSpec] = { count, chunks, offset in
            (0..<count).map { StreamSpec(index: offset + $0, chunks: chunks, delayMs: shape.delayMs, stamp: false) }
        }
        // Warm-up, not measured: its logs are already in Redis when `used_memory` is read before.
        let warm = LoadRun(group: environment.group).run(specs: specs(Self.warmUpStreams, 2, indexOffset + 400_000), target: .ticket(port: port),
                                                         ratePerSecond: rate, timeout: 30)
        guard warm.check.passed else {
            throw ValidationFailure("warm-up ticket streams failed: \(warm.check.problemsByKind) e.g. \(warm.check.examples.prefix(2))")
        }
        let redisProbe = try redis.map { try RedisProbe(port: $0.port) }
        let redisCPU = redis.map { ProcessProbe(pid: $0.process.pid) }
        if let redisProbe { try settle(redisProbe) }
        let memoryBefore = try redisProbe?.usedMemory()
        let redisCPU0 = try redisCPU?.cpuSeconds()
        let relayCPU0 = try relayProbe.cpuSeconds()
        let ramp = LoadRun.rampRate(rate, streams: shape.streams, delayMs: shape.delayMs)
        let limit = Double(shape.streams) / Double(ramp) + Double(shape.chunks * shape.delayMs) / 500 + Double(shape.streams * shape.chunks) / 5_000 + 30
        let outcome = LoadRun(group: environment.group).run(specs: specs(shape.streams, shape.chunks, indexOffset), target: .ticket(port: port),
                                                            ratePerSecond: ramp, timeout: limit)
        let relayCPU = try relayProbe.cpuSeconds() - relayCPU0
        var cost: RedisCost?
        if let redisProbe, let redisCPU, let memoryBefore, let redisCPU0 {
            // The last events' writes may still be in flight when the readers have seen `done`.
            try settle(redisProbe)
            let memoryAfter = try redisProbe.usedMemory()
            cost = RedisCost(cpuSeconds: try redisCPU.cpuSeconds() - redisCPU0, chunks: outcome.check.chunks, usedMemoryBefore: memoryBefore,
                             usedMemoryAfter: memoryAfter, keysAfter: try redisProbe.keyCount(), finishedStreams: outcome.check.cleanStreams,
                             replayBufferBytes: config.replayBufferBytes)
            // Each finished ticket stream leaves its event log and meta hash until `replay_window`.
            if let cost, cost.keysAfter < 2 * outcome.check.cleanStreams {
                throw ValidationFailure("Redis holds \(cost.keysAfter) keys after \(outcome.check.cleanStreams) finished ticket streams: "
                                        + "the relay did not log them to Redis (see \(relay.logPath))")
            }
        }
        let row = EngineCostRow(engine: engine, streams: shape.streams, chunksPerStream: shape.chunks, delayMs: shape.delayMs,
                                seconds: outcome.seconds, relayCPUSeconds: relayCPU, redis: cost, check: outcome.check)
        log(String(format: "engine %@: %d/%d streams clean, relay %.1f µs/chunk", engine, outcome.check.cleanStreams, shape.streams,
                   row.relayMicrosPerChunk)
            + (cost.map { String(format: ", redis-server %.1f µs/chunk, %.0f bytes per finished stream (replay_buffer_bytes %d)",
                                 $0.microsPerChunk, $0.bytesPerFinishedStream, $0.replayBufferBytes) } ?? "")
            + (outcome.check.passed ? "" : " — \(outcome.check.problemsByKind) e.g. \(outcome.check.examples.prefix(2))"))
        return row
    }

    /// Waits (at most 5 s) until `used_memory` is the same over 200 ms: Redis has taken the relay's
    /// last writes.
    private func settle(_ probe: RedisProbe) throws {
        var last = try probe.usedMemory()
        let deadline = WallClock.monotonicSeconds() + 5
        while WallClock.monotonicSeconds() < deadline {
            usleep(200_000)
            let now = try probe.usedMemory()
            if now == last { return }
            last = now
        }
    }
}
