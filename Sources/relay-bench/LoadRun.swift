import Dispatch
import Foundation
import RelayBenchCore
import RelayIO
import Synchronization

/// Where a run's streams go.
enum StreamTarget: Sendable {
    /// `POST path` with a chat body, answered as SSE, at 127.0.0.1:port (the relay or a proxy).
    case sse(port: Int, path: String)
    /// A ticket stream at 127.0.0.1:port: `POST /chat` (201 with the ticket id), then
    /// `GET /chat/stream/{id}` on a second connection, answered as SSE.
    case ticket(port: Int)
    /// A signed WebSocket straight to the simulator.
    case direct(simulatorPort: Int)
    /// `POST path` (`/v1/chat/completions`) with an OpenAI streaming body for `model`, at 127.0.0.1:port,
    /// with `apiKey` as the bearer token.
    case openAI(port: Int, path: String, model: String, apiKey: String)
}

/// Runs a batch of streams on the bench's event loops: starts them at a bounded rate, waits until all
/// are over or the deadline passes (the rest are aborted and counted as not completed), and merges the
/// per-loop results. While waiting, `onTick` runs on the calling thread every 50 ms (RSS sampling).
final class LoadRun: Sendable {
    let group: EventLoopGroup
    let collectors: [LoopCollector]
    private let finished = Atomic<Int>(0)
    /// Streams whose response has started and not ended.
    let openStreams = Atomic<Int>(0)
    private let allDone = DispatchSemaphore(value: 0)
    /// Streams in the current run (set before any of them starts).
    private let total = Atomic<Int>(0)

    init(group: EventLoopGroup) {
        self.group = group
        self.collectors = group.loops.map { _ in LoopCollector() }
    }

    /// The merged results of one run.
    struct Outcome {
        var latency = LatencyRecorder()
        var firstChunk = LatencyRecorder()
        var schedule = LatencyRecorder()
        var check = StreamCheck()
        var bytes = 0
        var seconds = 0.0
        var timedOut = false
    }

    /// Called by a stream when it is over (on its loop).
    func streamFinished(index: Int, collector: LoopCollector) {
        collector.active.removeValue(forKey: index)
        if finished.add(1, ordering: .acquiringAndReleasing).newValue == total.load(ordering: .relaxed) { allDone.signal() }
    }

    /// New streams per second for `streams` streams with chunks `delayMs` apart: at least `minimum`,
    /// and fast enough that they all start within one chunk interval, so their chunks spread in time.
    static func rampRate(_ minimum: Int, streams: Int, delayMs: Int) -> Int {
        max(minimum, Int(Double(streams) * 1000 / Double(max(1, delayMs))))
    }

    /// Starts `specs` at `ratePerSecond`, a batch every `batchInterval` seconds (streams of one batch
    /// start together: their paced chunks then arrive together too), and waits for all to finish.
    func run(specs: [StreamSpec], target: StreamTarget, ratePerSecond: Int, timeout: Double, batchInterval: Double = 0.01,
             onTick: () -> Void = {}) -> Outcome {
        total.store(specs.count, ordering: .relaxed)
        guard !specs.isEmpty else { return Outcome() }
        let perBatch = max(1, Int(Double(ratePerSecond) * batchInterval))
        let deadline = WallClock.monotonicSeconds() + timeout
        var next = 0
        var nextBatchAt = WallClock.monotonicSeconds()
        while next < specs.count {
            let end = min(specs.count, next + perBatch)
            for spec in specs[next..<end] {
                let loop = group.loops[spec.index % group.loops.count]
                let collector = collectors[loop.index]
                loop.execute { [self] in
                    let stream: any BenchStream
                    switch target {
                    case .sse(let port, let path):
                        stream = SSEStream(spec: spec, port: port, path: path, loop: loop, run: self, collector: collector)
                    case .ticket(let port):
                        stream = SSEStream(spec: spec, port: port, path: "/chat", ticket: true, loop: loop, run: self, collector: collector)
                    case .direct(let simulatorPort):
                        stream = DirectStream(spec: spec, simulatorPort: simulatorPort, loop: loop, run: self, collector: collector)
                    case .openAI(let port, let path, let model, let apiKey):
                        stream = OpenAIStream(spec: spec, port: port, path: path, model: model, apiKey: apiKey, loop: loop,
                                              run: self, collector: collector)
                    }
                    collector.active[spec.index] = stream
                    stream.start()
                }
            }
            next = end
            nextBatchAt += batchInterval
            let wait = nextBatchAt - WallClock.monotonicSeconds()
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            onTick()
        }
        var timedOut = false
        while allDone.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            onTick()
            if WallClock.monotonicSeconds() > deadline {
                timedOut = true
                break
            }
        }
        if timedOut {
            for (loop, collector) in zip(group.loops, collectors) {
                loop.queue.sync {
                    for stream in Array(collector.active.values) { stream.abort(reason: "timeout after \(Int(timeout)) s") }
                }
            }
        }
        var outcome = Outcome()
        outcome.timedOut = timedOut
        var first = Int64.max
        var last = Int64.min
        for (loop, collector) in zip(group.loops, collectors) {
            loop.queue.sync {
                outcome.latency.merge(collector.latency)
                outcome.schedule.merge(collector.schedule)
                outcome.firstChunk.merge(collector.firstChunk)
                outcome.check.merge(collector.check)
                outcome.bytes += collector.bytes
                first = min(first, collector.firstChunkNs)
                last = max(last, collector.lastChunkNs)
                collector.latency = LatencyRecorder()
                collector.schedule = LatencyRecorder()
                collector.firstChunk = LatencyRecorder()
                collector.check = StreamCheck()
                collector.bytes = 0
                collector.firstChunkNs = .max
                collector.lastChunkNs = .min
            }
        }
        outcome.seconds = last > first ? Double(last - first) / 1e9 : 0
        return outcome
    }
}
