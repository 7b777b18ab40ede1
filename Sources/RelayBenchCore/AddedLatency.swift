/// What a hop adds, percentile by percentile: `through` (e.g. via the relay) minus `baseline` (e.g.
/// a direct WebSocket to the simulator), both measured at the same concurrency in the same run.
///
/// This is the difference of the percentiles, not the percentile of per-chunk differences (the two
/// paths carry different chunks); negative values mean the hop was within the noise.
public struct AddedLatency: Sendable, Codable, Equatable {
    /// Added median, µs.
    public var p50: Double
    /// Added 99th percentile, µs.
    public var p99: Double
    /// Added 99.9th percentile, µs.
    public var p999: Double

    /// The percentile-wise difference `through - baseline`.
    public init(through: LatencySummary, baseline: LatencySummary) {
        p50 = through.p50 - baseline.p50
        p99 = through.p99 - baseline.p99
        p999 = through.p999 - baseline.p999
    }
}
