import RelayTracing
import Testing

/// Parent-based sampling, then the deterministic ratio draw on the trace id.
@Suite struct TraceSamplerTests {
    private let parentSampled = SpanContext(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), isSampled: true, isRemote: true)
    private let parentNotSampled = SpanContext(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), isSampled: false, isRemote: true)

    @Test func aParentsDecisionWinsOverTheRatio() {
        let never = TraceSampler(ratio: 0)
        let always = TraceSampler(ratio: 1)
        #expect(never.shouldSample(traceID: parentSampled.traceID, parent: parentSampled))
        #expect(!always.shouldSample(traceID: parentNotSampled.traceID, parent: parentNotSampled))
    }

    @Test func ratiosZeroAndOneAndOutOfRangeValues() {
        let ids = (0..<200).map { _ in TraceID.random() }
        #expect(ids.allSatisfy { TraceSampler(ratio: 1).shouldSample(traceID: $0, parent: nil) })
        #expect(ids.allSatisfy { !TraceSampler(ratio: 0).shouldSample(traceID: $0, parent: nil) })
        #expect(TraceSampler(ratio: 7).ratio == 1)
        #expect(TraceSampler(ratio: -1).ratio == 0)
        #expect(TraceSampler(ratio: .nan).ratio == 0)
    }

    @Test func theDrawComparesTheLastEightBytesWithRatioTimesInt64Max() {
        let half = TraceSampler(ratio: 0.5)
        let bound = UInt64(Int64.max / 2)
        #expect(half.sampledByRatio(TraceID(high: 9, low: bound - 1)))
        #expect(!half.sampledByRatio(TraceID(high: 9, low: bound + 2)))
        // Negative values count by their magnitude.
        #expect(half.sampledByRatio(TraceID(high: 9, low: UInt64(bitPattern: -Int64(bound - 1)))))
        #expect(!half.sampledByRatio(TraceID(high: 9, low: UInt64(bitPattern: -Int64(bound + 2)))))
        // The first 8 bytes play no part.
        #expect(half.sampledByRatio(TraceID(high: .max, low: 1)) == half.sampledByRatio(TraceID(high: 1, low: 1)))
    }

    @Test func theDecisionIsDeterministicAndNearTheRatio() {
        let sampler = TraceSampler(ratio: 0.25)
        let ids = (0..<20_000).map { _ in TraceID.random() }
        let sampled = ids.filter { sampler.shouldSample(traceID: $0, parent: nil) }
        #expect(sampled.allSatisfy { sampler.shouldSample(traceID: $0, parent: nil) })
        let share = Double(sampled.count) / Double(ids.count)
        #expect(abs(share - 0.25) < 0.02, "sampled share \(share)")
    }
}
