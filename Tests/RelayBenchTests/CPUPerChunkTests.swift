import RelayBenchCore
import Testing

@Suite("CPU per chunk, memory per stream, soak: arithmetic, verdicts and the failing-run rule")
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

    @Test func targetsJudgeTheRatioWssMemoryAndTheSoak() {
        var report = BenchReport(command: "relay-bench", machine: "test")
        report.cpuPerChunk = [CPUPerChunkRow(shape: "paced", path: "nginx → relay", streams: 1, chunksPerStream: 1, delayMs: 20,
                                             relayCPUSeconds: 0.2, nginxCPUSeconds: 0.1, check: StreamCheck.counted(streams: 1, clean: 1, chunks: 1))]
        report.streamMemory = [StreamMemoryRow(upstream: "wss", streams: 10, peakOpenStreams: 10, rssBeforeKiB: 1000, rssPeakKiB: 1300,
                                               check: StreamCheck.counted(streams: 10, clean: 10, chunks: 30))]
        report.soak = SoakResult(seconds: 30, concurrency: 60, streamsByKind: ["complete": 3], exactResumes: 1, rssIdleKiB: 20_000,
                                 rssPeakKiB: 60_000, rssAfterKiB: 39_000, afterSeconds: 90, descriptorsBefore: 10, descriptorsAfter: 10,
                                 check: StreamCheck.counted(streams: 3, clean: 3, chunks: 60))
        let verdicts = Dictionary(uniqueKeysWithValues: ReportTable.targets(report).map { ($0.name, $0.verdict) })
        #expect(verdicts["relay CPU per paced chunk ≤ 1.5× nginx's"] == "MISSED")
        #expect(verdicts["< 32 KiB per open stream over wss://"] == "met")
        #expect(verdicts["RSS within 2× idle after the soak"] == "met")
        #expect(report.allStreamsCorrect)
        report.soak?.check = StreamCheck.counted(streams: 3, clean: 2, chunks: 59)
        #expect(!report.allStreamsCorrect)
        #expect(ReportTable.render(report).contains("FAIL"))
    }
}
