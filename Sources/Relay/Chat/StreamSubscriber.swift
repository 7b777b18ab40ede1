import HTTPCodec
import RelayIO

/// A reader attached to a `ChatStream`: one HTTP response on its connection's loop. Writes events in
/// its format, sends heartbeats while nothing else is written, and reports back-pressure and its
/// departure to the stream (hopping to the stream's loop when the two differ).
final class StreamSubscriber: @unchecked Sendable {
    let writer: ResponseWriter
    let format: StreamFormat
    let streamID: String
    private let heartbeatInterval: Double
    private var heartbeat: LoopTimer?
    private var ended = false
    private var blocked = false
    /// Called on the subscriber's loop; the stream wires these up when it attaches the subscriber.
    var onBlocked: (() -> Void)?
    var onUnblocked: (() -> Void)?
    var onGone: (() -> Void)?

    var loop: EventLoop { writer.loop }

    init(writer: ResponseWriter, format: StreamFormat, streamID: String, heartbeatInterval: Double) {
        self.writer = writer
        self.format = format
        self.streamID = streamID
        self.heartbeatInterval = heartbeatInterval
    }

    /// Sends the response head (flushed at once) and the preamble. Call on `loop`.
    func begin(headers: HTTPHeaders, retryMilliseconds: Int) {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: format.contentType)
        headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")
        headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        headers.replaceOrAdd(name: "X-Stream-Id", value: streamID)
        writer.onWritable = { [weak self] in self?.writable() }
        writer.onClientGone = { [weak self] in self?.gone() }
        writer.startStream(status: .ok, headers: headers)
        let preamble = StreamEventEncoder.preamble(format: format, retryMilliseconds: retryMilliseconds)
        if !preamble.isEmpty { writer.write(preamble) }
        armHeartbeat()
    }

    /// Writes events in order; ends the response after a terminal event. Call on `loop`.
    func deliver(_ events: [StreamEvent]) {
        guard !ended, !writer.isClientGone else { return }
        for event in events {
            let bytes = StreamEventEncoder.encode(event, streamID: streamID, format: format)
            if !bytes.isEmpty { writer.write(bytes) }
            if event.isTerminal {
                end()
                return
            }
        }
        armHeartbeat()
        if !writer.isWritable && !blocked {
            blocked = true
            onBlocked?()
        }
    }

    /// Ends the response (the stream is over, or another reader replaced this one). Call on `loop`.
    func end() {
        guard !ended else { return }
        ended = true
        heartbeat?.cancel()
        heartbeat = nil
        writer.onClientGone = nil
        writer.onWritable = nil
        writer.finish()
    }

    private func armHeartbeat() {
        guard StreamEventEncoder.heartbeat(format: format) != nil else { return }
        heartbeat?.cancel()
        heartbeat = loop.schedule(after: heartbeatInterval) { [weak self] in
            guard let self, !self.ended, let ping = StreamEventEncoder.heartbeat(format: self.format) else { return }
            self.writer.write(ping)
            self.armHeartbeat()
        }
    }

    private func writable() {
        guard blocked, !ended else { return }
        blocked = false
        onUnblocked?()
    }

    private func gone() {
        guard !ended else { return }
        ended = true
        heartbeat?.cancel()
        heartbeat = nil
        onGone?()
    }
}
