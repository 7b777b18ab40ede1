import RelayBenchCore

/// The event-stream response of one load stream (the relay's `/chat/stream` or `/v1/chat/completions`,
/// or a peer's): open from its `200` head until the stream finishes (counted in the run's
/// `openStreams`), its body bytes counted in the loop's collector and split into events. A class, so
/// that an event handler may close it while its events are being split. Confined to the stream's loop.
final class LoadResponse {
    private let run: LoadRun
    private let collector: LoopCollector
    private var scanner = SSEScanner()
    private var isOpen = false

    init(run: LoadRun, collector: LoopCollector) {
        self.run = run
        self.collector = collector
    }

    /// The response head: `false`, and nothing counted, unless the status is `200`.
    func opens(status: Int) -> Bool {
        guard status == 200 else { return false }
        if !isOpen { _ = run.openStreams.add(1, ordering: .relaxed) }
        isOpen = true
        return true
    }

    /// Body bytes: counted, and each complete event passed to `emit`.
    func body(_ bytes: some Collection<UInt8>, emit: (SSEScanner.Event) -> Void) {
        collector.bytes += bytes.count
        scanner.feed(bytes, emit: emit)
    }

    /// The stream is over: no longer counted as open; idempotent.
    func close() {
        if isOpen { _ = run.openStreams.add(-1, ordering: .relaxed) }
        isOpen = false
    }
}
