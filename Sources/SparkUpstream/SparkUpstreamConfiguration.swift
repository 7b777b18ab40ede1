import WSClient

/// Timeouts and limits for talking to Spark; every value is a named config setting.
public struct SparkUpstreamConfiguration: Sendable, Equatable {
    /// DNS plus TCP connect.
    public var connectTimeout: Double = 10
    /// TLS plus the WebSocket upgrade.
    public var handshakeTimeout: Double = 10
    /// From sending the request to the first frame (Spark's first frame can be slow).
    public var firstFrameTimeout: Double = 60
    /// Longest silence between two frames.
    public var idleTimeout: Double = 60
    /// Largest WebSocket message accepted from Spark.
    public var maxMessageBytes: Int = 4 * 1024 * 1024
    /// Clock skew Spark tolerates (used to explain 403s).
    public var maxClockSkew: Double = 300

    public init() {}

    var webSocket: WebSocketClientConfiguration {
        var configuration = WebSocketClientConfiguration()
        configuration.connectTimeout = connectTimeout
        configuration.handshakeTimeout = handshakeTimeout
        configuration.maxFrameSize = maxMessageBytes
        configuration.maxMessageSize = maxMessageBytes
        return configuration
    }
}
