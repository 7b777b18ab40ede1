import RESPCodec

/// Everything a `RedisClient` needs: where to connect, and every bound and timeout with a default.
public struct RedisClientConfiguration: Sendable {
    /// Server, credentials and database.
    public var url: RedisURL
    /// PEM CA bundle trusted for `rediss://` besides the system store (`cluster.redis_ca_file`).
    public var caFile: String?
    /// Sent as `HELLO 3 … SETNAME` so `CLIENT LIST` shows who is connected; `nil` sends none.
    public var clientName: String?
    /// Seconds for DNS and the TCP connect. Default 5.
    public var connectTimeout: Double
    /// Seconds for the TLS handshake. Default 5.
    public var tlsHandshakeTimeout: Double
    /// Seconds a command may wait for its reply unless the call gives its own. Default 5: Redis
    /// answers in well under a millisecond, so a reply this late means a stalled server or network.
    public var commandTimeout: Double
    /// First delay before reconnecting after a failure. Default 0.1 s.
    public var reconnectInitialDelay: Double
    /// Largest delay between reconnect attempts; the delay doubles per failed attempt up to this
    /// (with jitter down to half of it, so a fleet does not reconnect in lockstep). Default 5 s.
    public var reconnectMaxDelay: Double
    /// Most commands sent or queued and not yet answered; more fail at once with
    /// `tooManyInFlight`. Default 4096.
    public var maxInFlight: Int
    /// Bounds on every reply (bulk length, counts, depth, bytes per reply).
    public var decoderLimits: RESPDecoderLimits
    /// Output bytes buffered before the channel reports itself unwritable. Default 1 MiB.
    public var writeBufferBytes: Int

    /// A configuration with the defaults above.
    public init(url: RedisURL, caFile: String? = nil, clientName: String? = nil,
                connectTimeout: Double = 5, tlsHandshakeTimeout: Double = 5, commandTimeout: Double = 5,
                reconnectInitialDelay: Double = 0.1, reconnectMaxDelay: Double = 5, maxInFlight: Int = 4096,
                decoderLimits: RESPDecoderLimits = RESPDecoderLimits(), writeBufferBytes: Int = 1 << 20) {
        self.url = url
        self.caFile = caFile
        self.clientName = clientName
        self.connectTimeout = connectTimeout
        self.tlsHandshakeTimeout = tlsHandshakeTimeout
        self.commandTimeout = commandTimeout
        self.reconnectInitialDelay = reconnectInitialDelay
        self.reconnectMaxDelay = reconnectMaxDelay
        self.maxInFlight = maxInFlight
        self.decoderLimits = decoderLimits
        self.writeBufferBytes = writeBufferBytes
    }

    /// The delay before reconnect attempt `attempt` (0-based): `initial · 2^attempt` capped at
    /// `reconnectMaxDelay` (and at one day, whatever is configured), scaled by `jitter` in 0.5…1.
    public func reconnectDelay(attempt: Int, jitter: Double) -> Double {
        let exponent = Double(min(attempt, 30))
        let base = min(reconnectMaxDelay, reconnectInitialDelay * pow2(exponent), 86_400)
        return max(0, base) * min(1, max(0.5, jitter))
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}
