import RelayBenchCore
import Testing

@Suite("CPU per chunk and per stream against nginx, memory per stream, soak: arithmetic, verdicts and the failing-run rule")
struct CPUPerChunkTests {
    @Test func perChunkFiguresAndTheRatioToNginx() {
        let row = CPUPerChunkRow(shape: "paced", path: "nginx → relay", streams: 50, chunksPerStream: 100, delayMs: 20,
                                 relayCPUSeconds: 0.17, nginxCPUSeconds: 0.11, relayContextSwitches: 2500,
                                 check: StreamCheck.counted(streams: 50, clean: 50, chunks: 5000))
        #expect(abs(row.relayMicrosPerChunk - 34) < 1e-9)
        #expect(abs((row.nginxMicrosPerChunk ?? 0) - 22) < 1e-9)
        #expect(abs((row.ratio ?? 0) - 0.17 / 0.11) < 1e-12)
        #expect(row.relayContextSwitchesPerChunk == 0.5)
        let alone = CPUPerChunkRow(shape: "paced", path: "relay", streams: 1, chunksPerStream: 1, delayMs: 0, relayCPUSeconds: 0.01,
                                   nginxCPUSeconds: nil, check: StreamCheck.counted(streams: 1, clean: 1, chunks: 0))
        #expect(alone.ratio == nil)
        #expect(alone.relayMicrosPerChunk == 10_000)  // no chunk: divided by one, never by zero
    }

    /// Rows through nginx at 100 and 400 chunks per stream (50 streams each) and 400 one-chunk streams.
    static func deploymentRows(relayShort: Double = 0.20, relayLong: Double = 0.65, nginxShort: Double = 0.12,
                               nginxLong: Double = 0.42) -> [CPUPerChunkRow] {
        [CPUPerChunkRow(shape: "paced", path: "relay", streams: 50, chunksPerStream: 100, delayMs: 20, relayCPUSeconds: 0.2,
                        nginxCPUSeconds: nil, check: StreamCheck.counted(streams: 50, clean: 50, chunks: 5000)),
         CPUPerChunkRow(shape: "paced", path: "nginx → relay", streams: 50, chunksPerStream: 100, delayMs: 20, relayCPUSeconds: relayShort,
                        nginxCPUSeconds: nginxShort, relayScheduledSeconds: relayShort, nginxScheduledSeconds: nginxShort,
                        check: StreamCheck.counted(streams: 50, clean: 50, chunks: 5000)),
         CPUPerChunkRow(shape: "paced-long", path: "nginx → relay", streams: 50, chunksPerStream: 400, delayMs: 20, relayCPUSeconds: relayLong + 0.01,
                        nginxCPUSeconds: nginxLong, relayScheduledSeconds: relayLong, nginxScheduledSeconds: nginxLong,
                        check: StreamCheck.counted(streams: 50, clean: 50, chunks: 20000)),
         CPUPerChunkRow(shape: "per-stream", path: "nginx → relay", streams: 400, chunksPerStream: 1, delayMs: 20, relayCPUSeconds: 0.1,
                        nginxCPUSeconds: 0.04, relayScheduledSeconds: 0.1, nginxScheduledSeconds: 0.04,
                        check: StreamCheck.counted(streams: 400, clean: 400, chunks: 400))]
    }

    @Test func thePerStreamPartIsTheDifferenceOfTheTwoStreamLengths() throws {
        let cost = try #require(DeploymentCPU.from(rows: Self.deploymentRows()))
        #expect(cost.shortChunks == 100 && cost.longChunks == 400)
        #expect(abs(cost.perChunkShort.relayMicros - 40) < 1e-9)
        #expect(abs(cost.perChunkLong.nginxMicros - 21) < 1e-9)
        // (0.65 − 0.20) s over 15,000 more chunks = 30 µs; nginx (0.42 − 0.12) / 15,000 = 20 µs.
        #expect(abs(cost.perChunkWithoutStreamPart.relayMicros - 30) < 1e-9)
        #expect(abs(cost.perChunkWithoutStreamPart.nginxMicros - 20) < 1e-9)
        #expect(abs((cost.perChunkWithoutStreamPart.ratio ?? 0) - 1.5) < 1e-9)
        #expect(abs(cost.perChunkWithoutStreamPart.relayTicksMicros - 0.46 / 15_000 * 1e6) < 1e-9)
        let perStream = try #require(cost.perStream)
        #expect(abs(perStream.relayMicros - 250) < 1e-9 && abs(perStream.nginxMicros - 100) < 1e-9)
        #expect(abs((perStream.ratio ?? 0) - 2.5) < 1e-9)
        // Without the long batch through nginx there is no per-stream-free figure.
        #expect(DeploymentCPU.from(rows: Array(Self.deploymentRows().prefix(2))) == nil)
    }

    @Test func targetsJudgeTheDeploymentFiguresWssMemoryAndTheSoak() {
        var report = BenchReport(command: "relay-bench", machine: "test")
        report.cpuPerChunk = Self.deploymentRows()
        report.deploymentCPU = DeploymentCPU.from(rows: report.cpuPerChunk)
        report.streamMemory = [StreamMemoryRow(upstream: "wss", streams: 10, peakOpenStreams: 10, rssBeforeKiB: 1000, rssPeakKiB: 1300,
                                               check: StreamCheck.counted(streams: 10, clean: 10, chunks: 30))]
        report.soak = SoakResult(seconds: 30, concurrency: 60, streamsByKind: ["complete": 3], exactResumes: 1, rssIdleKiB: 20_000,
                                 rssPeakKiB: 60_000, rssAfterKiB: 39_000, afterSeconds: 90, descriptorsBefore: 10, descriptorsAfter: 10,
                                 check: StreamCheck.counted(streams: 3, clean: 3, chunks: 60))
        var verdicts = Dictionary(uniqueKeysWithValues: ReportTable.targets(report).map { ($0.name, $0.verdict) })
        #expect(verdicts["relay CPU per paced chunk ≤ 1.2× nginx's"] == "MISSED")
        #expect(verdicts["relay CPU per stream ≤ 2× nginx's"] == "MISSED")
        #expect(verdicts["< 32 KiB per open stream over wss://"] == "met")
        #expect(verdicts["RSS within 2× idle after the soak"] == "met")
        report.cpuPerChunk = Self.deploymentRows(relayLong: 0.45)  // (0.45 − 0.20) / 15,000 = 16.7 µs against 20
        report.deploymentCPU = DeploymentCPU.from(rows: report.cpuPerChunk)
        verdicts = Dictionary(uniqueKeysWithValues: ReportTable.targets(report).map { ($0.name, $0.verdict) })
        #expect(verdicts["relay CPU per paced chunk ≤ 1.2× nginx's"] == "met")
        #expect(report.allStreamsCorrect)
        let table = ReportTable.render(report)
        #expect(table.contains("targets (the Performance table of README.md, section Performance):"))
        #expect(table.contains("per chunk, per-stream part removed"))
        report.soak?.check = StreamCheck.counted(streams: 3, clean: 2, chunks: 59)
        #expect(!report.allStreamsCorrect)
        #expect(ReportTable.render(report).contains("FAIL"))
    }

    @Test func aQuickRunReportsCorrectnessOnlyWithNoTargetLine() {
        var report = BenchReport(command: "relay-bench --quick", machine: "test")
        report.quick = true
        report.cpuPerChunk = [CPUPerChunkRow(shape: "paced", path: "relay", streams: 10, chunksPerStream: 20, delayMs: 20,
                                             relayCPUSeconds: 0.02, nginxCPUSeconds: nil,
                                             check: StreamCheck.counted(streams: 10, clean: 10, chunks: 200))]
        var table = ReportTable.render(report)
        #expect(!table.contains("[MISSED]") && !table.contains("[met]") && !table.contains("[n/a]"))
        #expect(!table.contains("targets"))
        #expect(table.contains("quick run: correctness only") && table.contains("every stream correct"))
        report.cpuPerChunk[0].check = StreamCheck.counted(streams: 10, clean: 9, chunks: 199)
        table = ReportTable.render(report)
        #expect(table.contains("FAILED") && !table.contains("[MISSED]"))
    }
}
