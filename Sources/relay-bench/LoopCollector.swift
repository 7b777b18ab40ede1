import RelayBenchCore

/// Results of the streams on one event loop; only touched on that loop, merged after the run.
// @unchecked: confined to its event loop: streams update it there, and LoadRun reads and resets it inside `loop.queue.sync`
final class LoopCollector: @unchecked Sendable {
    var latency = LatencyRecorder()
    /// OpenAI streams: time to the first content chunk, and per-chunk lateness after it.
    var firstChunk = LatencyRecorder()
    var schedule = LatencyRecorder()
    var check = StreamCheck()
    var bytes = 0
    var firstChunkNs = Int64.max
    var lastChunkNs = Int64.min
    /// Streams still running on this loop, to abort them at the deadline.
    var active: [Int: any BenchStream] = [:]

    /// Notes a chunk's arrival time (for the throughput window).
    @inline(__always)
    func sawChunk(at nanoseconds: Int64) {
        if nanoseconds < firstChunkNs { firstChunkNs = nanoseconds }
        if nanoseconds > lastChunkNs { lastChunkNs = nanoseconds }
    }
}

/// One client stream of a run (SSE through the relay or a peer, or a direct WebSocket).
protocol BenchStream: AnyObject {
    /// Connects and sends the request; on the stream's loop.
    func start()
    /// Ends the stream now as not completed; on the stream's loop.
    func abort(reason: String)
}
