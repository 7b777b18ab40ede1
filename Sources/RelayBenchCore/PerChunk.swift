/// CPU seconds spread over relayed chunks, the unit of the bench's cost figures.
public enum PerChunk {
    /// `seconds` per chunk in µs; with no chunk at all the whole time counts as one chunk's.
    public static func micros(_ seconds: Double, chunks: Int) -> Double {
        seconds / Double(max(1, chunks)) * 1e6
    }
}
