import Histogram

/// Per-chunk latencies in nanoseconds, kept in an HdrHistogram (3 significant digits, auto-resizing),
/// so millions of samples cost a fixed few tens of KiB. Negative samples (clock noise) count as 0 and
/// are counted apart.
public struct LatencyRecorder: Sendable {
    /// The samples.
    public private(set) var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    /// Samples below zero that were recorded as 0.
    public private(set) var negativeSamples = 0

    /// An empty recorder.
    public init() {}

    /// Records one latency (receive minus send), in nanoseconds.
    public mutating func record(nanoseconds: Int64) {
        if nanoseconds < 0 { negativeSamples += 1 }
        _ = histogram.record(UInt64(max(0, nanoseconds)))
    }

    /// Adds every sample of `other`.
    public mutating func merge(_ other: LatencyRecorder) {
        for item in other.histogram.recordedValues() {
            _ = histogram.record(item.value, count: item.count)
        }
        negativeSamples += other.negativeSamples
    }

    /// Number of samples.
    public var count: Int { Int(histogram.totalCount) }

    /// p50, p99, p99.9 and max.
    public var summary: LatencySummary {
        guard count > 0 else { return LatencySummary(count: 0, p50: 0, p99: 0, p999: 0, max: 0) }
        return LatencySummary(count: count,
                              p50: Self.micro(histogram.valueAtPercentile(50)),
                              p99: Self.micro(histogram.valueAtPercentile(99)),
                              p999: Self.micro(histogram.valueAtPercentile(99.9)),
                              max: Self.micro(histogram.max))
    }

    private static func micro(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1000 }
}
