/// Decides whether a new span is recorded and exported, as OpenTelemetry's
/// `ParentBased(root: TraceIdRatioBased(ratio))`: a span with a parent (local, or the caller's
/// `traceparent`) follows the parent's `sampled` flag; a root span is sampled when its trace id
/// draws under `ratio`.
///
/// The draw is deterministic on the trace id, computed as OpenTelemetry's reference
/// TraceIdRatioBased sampler does: the trace id's last 8 bytes as a signed 64-bit integer, its
/// absolute value compared with `ratio × Int64.max`, so every process with the same ratio makes the
/// same decision for the same trace.
public struct TraceSampler: Sendable, Equatable {
    /// The share of new traces sampled, clamped to 0...1 (`tracing.sample_ratio`).
    public let ratio: Double
    /// Trace ids whose drawn value is below this are sampled.
    private let upperBound: Int64

    /// A sampler for `ratio` (values outside 0...1 are clamped; NaN counts as 0).
    public init(ratio: Double) {
        let clamped = ratio.isNaN ? 0 : min(1, max(0, ratio))
        self.ratio = clamped
        if clamped >= 1 {
            upperBound = .max
        } else if clamped <= 0 {
            upperBound = .min
        } else {
            upperBound = Int64(clamped * Double(Int64.max))
        }
    }

    /// The decision for a new span in `traceID` whose parent is `parent` (`nil`: a root span).
    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool {
        if let parent { return parent.isSampled }
        return sampledByRatio(traceID)
    }

    /// The ratio decision for a root span of `traceID`.
    public func sampledByRatio(_ traceID: TraceID) -> Bool {
        if ratio >= 1 { return true }
        let drawn = Int64(bitPattern: traceID.low)
        // Int64.min has no positive counterpart; like the reference implementation's abs(), it stays negative.
        let magnitude = drawn == .min ? drawn : (drawn < 0 ? -drawn : drawn)
        return magnitude < upperBound
    }
}
