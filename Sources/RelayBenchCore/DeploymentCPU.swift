/// The `cpu` scenario's figures through nginx, as a deployment runs the relay: CPU per paced chunk at
/// two stream lengths, per chunk with the per-stream part removed, and per stream, each for the
/// relay and for nginx's workers over the very same streams.
public struct DeploymentCPU: Sendable, Codable, Equatable {
    /// Chunks per stream of the short and the long paced batch.
    public var shortChunks: Int
    public var longChunks: Int
    /// Per chunk, short streams (a share of the per-stream work included).
    public var perChunkShort: CPUComparison
    /// Per chunk, long streams.
    public var perChunkLong: CPUComparison
    /// (CPU(long) − CPU(short)) ÷ (chunks(long) − chunks(short)), the batches having the same number of
    /// streams: what one more paced chunk costs. The goal's figure.
    public var perChunkWithoutStreamPart: CPUComparison
    /// Per one-chunk stream (`nil` when that batch was not run).
    public var perStream: CPUComparison?

    /// The figures from the scenario's nginx rows (shapes "paced", "paced-long", "per-stream"); `nil`
    /// without both paced rows through nginx with the same stream count.
    public static func from(rows: [CPUPerChunkRow]) -> DeploymentCPU? {
        let viaNginx = rows.filter { $0.nginxCPUSeconds != nil }
        guard let short = viaNginx.first(where: { $0.shape == "paced" }), let long = viaNginx.first(where: { $0.shape == "paced-long" }),
              short.streams == long.streams, long.chunks > short.chunks,
              let shortFigure = short.comparison(), let longFigure = long.comparison() else { return nil }
        let extra = Double(long.chunks - short.chunks)
        func difference(_ value: (CPUPerChunkRow) -> Double?) -> Double {
            ((value(long) ?? 0) - (value(short) ?? 0)) / extra
        }
        let marginal = CPUComparison(relayScheduled: difference(\.relayScheduledSeconds), nginxScheduled: difference(\.nginxScheduledSeconds),
                                     relayTicks: difference(\.relayCPUSeconds), nginxTicks: difference(\.nginxCPUSeconds))
        let perStream = viaNginx.first(where: { $0.shape == "per-stream" })?.comparison(perStream: true)
        return DeploymentCPU(shortChunks: short.chunksPerStream, longChunks: long.chunksPerStream, perChunkShort: shortFigure,
                             perChunkLong: longFigure, perChunkWithoutStreamPart: marginal, perStream: perStream)
    }
}
