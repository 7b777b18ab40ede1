/// The bounds a `RESPDecoder` enforces, each checked as soon as the bytes that carry it arrive
/// (a blob's length and an aggregate's count are checked from their header line, before any body
/// is buffered).
public struct RESPDecoderLimits: Sendable, Equatable {
    /// Largest blob string, blob error or verbatim string, in bytes. Default 16 MiB: a stream
    /// event or a replay batch of the relay is far smaller, while a hostile or corrupted length
    /// (Redis itself allows 512 MiB) cannot make the client buffer more than this.
    public var maxBulkLength: Int
    /// Largest element count of one array, set or push, or pair count of one map or attribute.
    /// Default 1,048,576: an `XRANGE` over a whole replay window stays well below it.
    public var maxAggregateCount: Int
    /// Deepest nesting of aggregates (attributes count as a level). Default 32: Redis replies nest
    /// at most about 6 deep (`XINFO STREAM FULL`), and the bound keeps recursion in `==`,
    /// the encoder and callers shallow.
    public var maxDepth: Int
    /// Longest line (simple string, error, number, double, big number, header) without its type
    /// byte and CRLF. Default 64 KiB: Redis error messages quote at most a few hundred bytes.
    public var maxLineLength: Int
    /// Most wire bytes one top-level reply may span, attributes included. Default 64 MiB: this is
    /// the bound on memory per reply, since counts alone allow many small elements.
    public var maxReplyBytes: Int

    /// Limits with the defaults above, each overridable.
    public init(maxBulkLength: Int = 16 * 1024 * 1024,
                maxAggregateCount: Int = 1 << 20,
                maxDepth: Int = 32,
                maxLineLength: Int = 64 * 1024,
                maxReplyBytes: Int = 64 * 1024 * 1024) {
        self.maxBulkLength = maxBulkLength
        self.maxAggregateCount = maxAggregateCount
        self.maxDepth = maxDepth
        self.maxLineLength = maxLineLength
        self.maxReplyBytes = maxReplyBytes
    }
}
