/// One CPU figure of the relay beside nginx's worker for the same unit of work (a chunk or a
/// stream), in µs, by `schedstat` (nanoseconds on the CPU: the figure to judge) and by `/proc` ticks.
public struct CPUComparison: Sendable, Codable, Equatable {
    public var relayMicros: Double
    public var nginxMicros: Double
    public var relayTicksMicros: Double
    public var nginxTicksMicros: Double

    /// From seconds per unit.
    public init(relayScheduled: Double, nginxScheduled: Double, relayTicks: Double, nginxTicks: Double) {
        relayMicros = relayScheduled * 1e6
        nginxMicros = nginxScheduled * 1e6
        relayTicksMicros = relayTicks * 1e6
        nginxTicksMicros = nginxTicks * 1e6
    }

    /// relay ÷ nginx by schedstat.
    public var ratio: Double? { nginxMicros > 0 ? relayMicros / nginxMicros : nil }
    /// relay ÷ nginx by `/proc` ticks.
    public var ticksRatio: Double? { nginxTicksMicros > 0 ? relayTicksMicros / nginxTicksMicros : nil }
}
