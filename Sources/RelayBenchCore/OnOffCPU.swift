/// One CPU figure of a relay with a feature off and on over the same kind of work (chunks or
/// streams): each side's utime + stime, read from `/proc` around its own batches, spread over the
/// units that side delivered, in µs, and on ÷ off.
public struct OnOffCPU: Sendable, Codable, Equatable {
    /// What one unit is: "chunk" or "stream".
    public var unit: String
    public var offUnits: Int
    public var onUnits: Int
    public var offCPUSeconds: Double
    public var onCPUSeconds: Double
    /// CPU per unit, µs (with no unit at all the whole time counts as one unit's).
    public var offMicros: Double
    public var onMicros: Double
    /// on ÷ off per unit; `nil` when the off side used no measurable CPU.
    public var ratio: Double?

    public init(unit: String, offCPUSeconds: Double, offUnits: Int, onCPUSeconds: Double, onUnits: Int) {
        self.unit = unit
        self.offUnits = offUnits
        self.onUnits = onUnits
        self.offCPUSeconds = offCPUSeconds
        self.onCPUSeconds = onCPUSeconds
        self.offMicros = PerChunk.micros(offCPUSeconds, chunks: offUnits)
        self.onMicros = PerChunk.micros(onCPUSeconds, chunks: onUnits)
        self.ratio = offMicros > 0 ? onMicros / offMicros : nil
    }

    /// `true` when on ÷ off is at most `goal`; `nil` when not measured.
    public func within(_ goal: Double) -> Bool? {
        ratio.map { $0 <= goal }
    }
}
