import RelayBenchCore
import Testing

@Suite("Latency percentiles and their differences")
struct LatencyTests {
    @Test func percentilesOfKnownSamples() {
        var recorder = LatencyRecorder()
        for value in 1...1000 { recorder.record(nanoseconds: Int64(value) * 1000) }  // 1…1000 µs
        let summary = recorder.summary
        #expect(summary.count == 1000)
        #expect(abs(summary.p50 - 500) <= 1)
        #expect(abs(summary.p99 - 990) <= 1)
        #expect(abs(summary.p999 - 999) <= 1)
        #expect(abs(summary.max - 1000) <= 1)
    }

    @Test func negativeSamplesCountAsZero() {
        var recorder = LatencyRecorder()
        recorder.record(nanoseconds: -5)
        recorder.record(nanoseconds: 2000)
        #expect(recorder.negativeSamples == 1)
        #expect(recorder.summary.count == 2)
        #expect(recorder.histogram.min == 0)
    }

    @Test func mergingKeepsEverySample() {
        var a = LatencyRecorder()
        var b = LatencyRecorder()
        for value in 1...500 { a.record(nanoseconds: Int64(value) * 1000) }
        for value in 501...1000 { b.record(nanoseconds: Int64(value) * 1000) }
        a.merge(b)
        #expect(a.count == 1000)
        #expect(abs(a.summary.p50 - 500) <= 1)
    }

    @Test func addedLatencyIsThePercentileWiseDifference() {
        let direct = LatencySummary(count: 10, p50: 100, p99: 300, p999: 900, max: 1000)
        let relay = LatencySummary(count: 10, p50: 180, p99: 250, p999: 1500, max: 2000)
        let added = AddedLatency(through: relay, baseline: direct)
        #expect(added == AddedLatency(through: relay, baseline: direct))
        #expect(added.p50 == 80 && added.p99 == -50 && added.p999 == 600)
    }
}
