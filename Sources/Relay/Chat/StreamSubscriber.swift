import HTTPCodec
import RelayIO

/// A reader attached to a `ChatStream`: one HTTP response on its connection's loop. Writes events
/// through its `StreamOutput`, sends heartbeats while nothing else is written, and reports
/// back-pressure and its departure to the stream (which hops to its own loop for them).
// @unchecked: confined to its writer's loop; the stream calls in only there (it hops when it lives elsewhere).
final class StreamSubscriber: @unchecked Sendable {
    let writer: ResponseWriter
    let output: any StreamOutput
    let streamID: String
    private let heartbeatInterval: Double
    private var headers = HTTPHeaders()
    private var headSent = false
    /// One re-armable timer for the whole response: each write only pushes its deadline back.
    private var heartbeat: LoopDeadlineTimer?
    private var ended = false
    private var blocked = false
    /// Called on the subscriber's loop; the stream wires these up when it attaches the subscriber.
    var onBlocked: (() -> Void)?
    var onUnblocked: (() -> Void)?
    var onGone: (() -> Void)?

    var loop: EventLoop { writer.loop }

    init(writer: ResponseWriter, output: any StreamOutput, streamID: String, heartbeatInterval: Double) {
        self.writer = writer
        self.output = output
        self.streamID = streamID
        self.heartbeatInterval = heartbeatInterval
    }

    /// Prepares the response; outputs that send their head at once flush it now. Call on `loop`.
    /// A client that already left (while the attach hopped loops or waited for Redis or fleet
    /// admission) is reported through `onGone` before this returns, so set `onGone` first.
    func begin(headers: HTTPHeaders) {
        self.headers = headers
        guard !writer.isClientGone else {
            gone()
            return
        }
        writer.onWritable = { [weak self] in self?.writable() }
        writer.onClientGone = { [weak self] in self?.gone() }
        if output.sendsHeadImmediately { sendHead() }
    }

    private func sendHead() {
        guard !headSent else { return }
        headSent = true
        var headers = self.headers
        headers.replaceOrAdd(name: "Content-Type", value: output.contentType)
        headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")
        headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        writer.startStream(status: .ok, headers: headers)
        let preamble = output.preamble()
        if !preamble.isEmpty { writer.write(preamble) }
        armHeartbeat()
    }

    /// Writes events in order; ends the response after a terminal event. Call on `loop`.
    func deliver(_ events: [StreamEvent]) {
        guard isLive else { return }
        for event in events where !write(event) { return }
        afterWrites()
    }

    /// `deliver` for one event (the live path: no array per event). Call on `loop`.
    func deliver(_ event: StreamEvent) {
        guard isLive else { return }
        if write(event) { afterWrites() }
    }

    /// Writes one event; `false` when the response ended with it.
    private func write(_ event: StreamEvent) -> Bool {
        switch output.encode(event, streamID: streamID, chunked: headSent && writer.isChunked) {
        case .write(let bytes):
            sendHead()
            if !bytes.isEmpty { writer.write(bytes) }
        case .writeFramed(let chunk):
            writer.write(chunk)
        case .respond(let response):
            if headSent {
                // Too late for a status: the output must not ask for this, but never hang.
                end()
            } else {
                ended = true
                heartbeat?.cancel()
                heartbeat = nil
                writer.onClientGone = nil
                writer.onWritable = nil
                writer.respond(response)
            }
            return false
        case .none:
            break
        }
        if event.isTerminal {
            end()
            return false
        }
        return true
    }

    /// `false` once the response is over; a client found gone that nobody reported yet is
    /// reported now.
    private var isLive: Bool {
        if ended { return false }
        if writer.isClientGone {
            gone()
            return false
        }
        return true
    }

    private func afterWrites() {
        // A write can find the client gone (and end the response) before this runs.
        guard !ended else { return }
        armHeartbeat()
        if headSent && !writer.isWritable && !blocked {
            blocked = true
            onBlocked?()
        }
    }

    /// Ends the response (the stream is over, or another reader replaced this one). Call on `loop`.
    func end() {
        guard isLive else { return }
        ended = true
        heartbeat?.cancel()
        heartbeat = nil
        writer.onClientGone = nil
        writer.onWritable = nil
        if headSent {
            writer.finish()
        } else {
            writer.respond(HTTPResponse(status: .noContent))
        }
    }

    private func armHeartbeat() {
        guard headSent, !ended else { return }
        if heartbeat == nil {
            guard output.heartbeat() != nil else { return }
            heartbeat = LoopDeadlineTimer(loop: loop) { [weak self] in
                guard let self, !self.ended, let ping = self.output.heartbeat() else { return }
                self.writer.write(ping)
                self.armHeartbeat()
            }
        }
        heartbeat?.arm(after: heartbeatInterval)
    }

    private func writable() {
        guard blocked, !ended else { return }
        blocked = false
        onUnblocked?()
    }

    /// The client left: stop, give up the response (a connection still waiting for it closes),
    /// and tell the owner, once.
    private func gone() {
        guard !ended else { return }
        ended = true
        heartbeat?.cancel()
        heartbeat = nil
        writer.onClientGone = nil
        writer.onWritable = nil
        writer.abandon()
        onGone?()
    }
}
