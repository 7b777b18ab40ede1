import HTTPCodec

/// Timeouts, limits and pool bounds of an `HTTPClient`. Every wait and every buffer is bounded by
/// one of these (the response body is streamed out, never buffered whole).
public struct HTTPClientConfiguration: Sendable, Equatable {
    /// DNS plus the TCP connect, in seconds.
    public var connectTimeout: Double = 10
    /// The TLS handshake after the TCP connect, in seconds.
    public var tlsHandshakeTimeout: Double = 10
    /// The longest wait for the next response byte (the first one, or the next piece of the body)
    /// while reading is not paused, in seconds.
    public var readTimeout: Double = 120
    /// Largest response header section (all field lines and the empty line); the status line is
    /// bounded separately by `HTTPParserLimits.maxRequestLineBytes` (8 KiB).
    public var maxHeadBytes: Int = 16 * 1024
    /// Most header fields in a response.
    public var maxHeaderCount: Int = 100
    /// Largest response body accepted; unbounded by default, since the body is streamed to the
    /// delegate as it arrives and an event stream has no natural size.
    public var maxBodyBytes: Int = .max
    /// Idle keep-alive connections kept per origin; `0` turns pooling off.
    public var maxIdleConnectionsPerHost: Int = 8
    /// How long a pooled connection may stay unused before it is closed, in seconds.
    public var idleConnectionTimeout: Double = 30

    /// The defaults above.
    public init() {}

    /// The response parser's limits.
    var parserLimits: HTTPParserLimits {
        HTTPParserLimits(maxHeaderBytes: maxHeadBytes, maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes)
    }
}
