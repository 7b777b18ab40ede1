/// Size bounds the parsers enforce; each is checked as soon as the bytes seen can exceed it.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line (or status line) without its CRLF. Default 8 KiB, the size RFC 9112 §3
    /// recommends supporting at minimum; longer → 414.
    public var maxRequestLineBytes: Int
    /// All field lines of a header (or trailer) section together, each with its CRLF, plus the
    /// empty line that ends the section. Default 16 KiB; more → 431.
    public var maxHeaderBytes: Int
    /// Most field lines in one header (or trailer) section. Default 100; more → 431.
    public var maxHeaderCount: Int
    /// Largest message body (Content-Length, or the sum of all chunks). Default 1 MiB; more → 413.
    /// The response parser applies it too: pass `Int.max` to read unbounded streams.
    public var maxBodyBytes: Int
    /// Longest chunk-size line (size plus extensions, without CRLF). Default 4 KiB; more → 400.
    public var maxChunkLineBytes: Int

    /// Limits with the documented defaults, each overridable.
    public init(
        maxRequestLineBytes: Int = 8192,
        maxHeaderBytes: Int = 16384,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1_048_576,
        maxChunkLineBytes: Int = 4096
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}
