/// Percentiles of one latency distribution, in microseconds.
public struct LatencySummary: Sendable, Codable, Equatable {
    /// Number of samples.
    public var count: Int
    /// Median.
    public var p50: Double
    /// 99th percentile.
    public var p99: Double
    /// 99.9th percentile.
    public var p999: Double
    /// Largest sample.
    public var max: Double

    /// A summary from its values.
    public init(count: Int, p50: Double, p99: Double, p999: Double, max: Double) {
        self.count = count
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }
}
