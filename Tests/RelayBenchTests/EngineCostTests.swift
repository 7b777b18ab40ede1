import RelayBenchCore
import Testing

@Suite("Engine cost: INFO parsing, per-chunk and per-stream arithmetic, the Redis engine's two verdicts")
struct EngineCostTests {
    private let info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nused_memory_rss:9437184\r\n"
        + "used_memory_peak:2000000\r\nmaxmemory_policy:noeviction\r\n\r\n"

    @Test func readsUsedMemoryAndNotItsLongerNamedNeighbours() throws {
        #expect(try RedisInfo.integer("used_memory", in: info) == 1_048_576)
        #expect(try RedisInfo.integer("used_memory_rss", in: info) == 9_437_184)
        #expect(try RedisInfo.integer("used_memory", in: "used_memory:7\n") == 7)  // LF alone too
    }

    @Test func rejectsAMissingFieldAndAValueThatIsNotANumber() {
        #expect(throws: RedisInfoError.missing("used_memory")) { try RedisInfo.integer("used_memory", in: "# Memory\r\nused_memory_rss:5\r\n") }
        #expect(throws: RedisInfoError.missing("used_memory")) { try RedisInfo.integer("used_memory", in: "# used_memory:5\r\n") }
        #expect(throws: RedisInfoError.notAnInteger("used_memory_human", "1.00M")) {
            try RedisInfo.integer("used_memory_human", in: info)
        }
        #expect(throws: RedisInfoError.notAnInteger("used_memory", "-3")) { try RedisInfo.integer("used_memory", in: "used_memory:-3\r\n") }
        #expect(RedisInfoError.missing("x").description == "INFO reply has no 'x:' line")
    }

    @Test func redisCostPerChunkAndPerFinishedStream() {
        let cost = RedisCost(cpuSeconds: 0.5, chunks: 20_000, usedMemoryBefore: 1_000_000, usedMemoryAfter: 9_000_000, keysAfter: 2001,
                             finishedStreams: 1000, replayBufferBytes: 262_144)
        #expect(abs(cost.microsPerChunk - 25) < 1e-9)
        #expect(cost.bytesPerFinishedStream == 8000)
        #expect(cost.withinReplayBuffer == true)
        let over = RedisCost(cpuSeconds: 0, chunks: 0, usedMemoryBefore: 0, usedMemoryAfter: 2049 * 10, keysAfter: 0, finishedStreams: 10,
                             replayBufferBytes: 2048)
        #expect(over.withinReplayBuffer == false)
        #expect(over.microsPerChunk == 0)  // no chunk: divided by one, never by zero
        let none = RedisCost(cpuSeconds: 0, chunks: 0, usedMemoryBefore: 5, usedMemoryAfter: 5, keysAfter: 0, finishedStreams: 0,
                             replayBufferBytes: 2048)
        #expect(none.withinReplayBuffer == nil)
    }

    @Test func theRatioIsRedisOverMemoryAndTheGoalIsTwice() {
        let memory = EngineCostRow(engine: "memory", streams: 1000, chunksPerStream: 20, delayMs: 200, seconds: 4, relayCPUSeconds: 0.4,
                                   redis: nil, check: StreamCheck.counted(streams: 1000, clean: 1000, chunks: 20_000))
        #expect(abs(memory.relayMicrosPerChunk - 20) < 1e-9)
        let cost = RedisCost(cpuSeconds: 0.3, chunks: 20_000, usedMemoryBefore: 0, usedMemoryAfter: 300_000_000, keysAfter: 0,
                             finishedStreams: 1000, replayBufferBytes: 262_144)
        func redis(_ cpu: Double) -> EngineCostRow {
            EngineCostRow(engine: "redis", streams: 1000, chunksPerStream: 20, delayMs: 200, seconds: 4, relayCPUSeconds: cpu, redis: cost,
                          check: StreamCheck.counted(streams: 1000, clean: 1000, chunks: 20_000))
        }
        let met = EngineComparison(rows: [memory, redis(0.8)])
        #expect(abs((met.cpuRatio ?? 0) - 2) < 1e-12)
        #expect(met.cpuWithinGoal == true)
        #expect(met.memoryWithinGoal == false)  // 300,000 bytes per stream > 262,144
        let missed = EngineComparison(rows: [memory, redis(0.81)])
        #expect(missed.cpuWithinGoal == false)
        let alone = EngineComparison(rows: [memory])
        #expect(alone.cpuRatio == nil && alone.cpuWithinGoal == nil && alone.memoryWithinGoal == nil)
    }

    @Test func targetsAndTheFailingRunRuleIncludeTheEngineRows() {
        var report = BenchReport(command: "relay-bench --scenarios engine --engine redis", machine: "test")
        let cost = RedisCost(cpuSeconds: 0.1, chunks: 100, usedMemoryBefore: 0, usedMemoryAfter: 50_000, keysAfter: 20, finishedStreams: 10,
                             replayBufferBytes: 262_144)
        report.engine = EngineComparison(rows: [
            EngineCostRow(engine: "memory", streams: 10, chunksPerStream: 10, delayMs: 50, seconds: 1, relayCPUSeconds: 0.01, redis: nil,
                          check: StreamCheck.counted(streams: 10, clean: 10, chunks: 100)),
            EngineCostRow(engine: "redis", streams: 10, chunksPerStream: 10, delayMs: 50, seconds: 1, relayCPUSeconds: 0.03, redis: cost,
                          check: StreamCheck.counted(streams: 10, clean: 9, chunks: 95)),
        ])
        let verdicts = Dictionary(uniqueKeysWithValues: ReportTable.targets(report).map { ($0.name, $0.verdict) })
        #expect(verdicts["relay CPU per chunk with Redis ≤ 2× the memory engine's"] == "MISSED")
        #expect(verdicts["Redis memory per finished stream ≤ stream.replay_buffer_bytes"] == "met")
        #expect(!report.allStreamsCorrect)  // one redis stream was not clean
        let table = ReportTable.render(report)
        #expect(table.contains("relay CPU per chunk, redis ÷ memory"))
        #expect(table.contains("bytes per finished stream (10 finished) vs replay_buffer_bytes 262144"))
    }
}
