import Dispatch
import Glibc
import HTTPCodec
import Logging
import RelayIO
import SparkCodec
import SparkUpstream

/// One chat stream: owns its Spark conversation, numbers its events, keeps them for replay, and
/// writes them to the attached reader. Lives on its home event loop; the reader may sit on another
/// loop (a reconnect can land anywhere), in which case data hops to the reader's loop in order.
///
/// Direct streams (`POST /chat/stream`) cancel the upstream the moment their reader leaves. Ticket
/// streams (`POST /chat` + `GET /chat/stream/{id}`) keep it running for `reconnect_grace` so that
/// `EventSource`'s automatic reconnect loses nothing.
final class ChatStream: @unchecked Sendable {
    enum Origin: Sendable {
        /// `POST /chat/stream`: replayable by id, cancelled when the reader leaves.
        case direct
        /// `POST /chat` + `GET`: waits for reconnects during the grace period.
        case ticket
        /// OpenAI-compatible requests: no id to resume with, so nothing is kept for replay.
        case unlisted
    }

    let id: String
    let loop: EventLoop
    let origin: Origin
    private let input: ChatInput
    private let upstream: UpstreamSettings
    private let settings: RelayConfiguration.Stream
    private let logger: Logger
    private let onRemove: @Sendable (ChatStream) -> Void
    private var connection: SparkConnection?
    private var buffer: ReplayBuffer
    private var nextSequence = 1
    private var lastSequence = 0
    private var finished = false
    private var subscriber: StreamSubscriber?
    private var graceTimer: LoopTimer?
    private var lifetimeTimer: LoopTimer?
    private var upstreamPaused = false
    private var removed = false
    /// The client's stream slot, given back when the stream is over.
    var slot: StreamSlot?
    /// Where counters go (optional for tests that build streams alone).
    var metrics: RelayMetrics?
    /// The named key the stream was started with (a label of the token counter).
    var keyName: String?
    private var upstreamStartedAt: UInt64 = 0
    private var sawFirstFrame = false
    /// The Spark app this conversation runs on, and the apps already tried (failover).
    private var lease: CredentialPool.Lease?
    private var triedApps: Set<Int> = []
    private var acquiring = false
    /// The shared event log (Redis engine, ticket streams): every numbered event also goes there.
    var logWriter: (any StreamLogWriter)?
    /// Asks whether a relay elsewhere holds a reader of this stream (Redis engine); the upstream
    /// then outlives `reconnect_grace` while that lasts.
    var remoteReaderCheck: ((@escaping (Bool) -> Void) -> Void)?
    /// How often the grace expiry asks `remoteReaderCheck` again while a remote reader is held.
    var remoteReaderRecheckInterval = 1.0

    init(id: String, loop: EventLoop, origin: Origin, input: ChatInput, upstream: UpstreamSettings,
         settings: RelayConfiguration.Stream, budget: ReplayBudget, logger: Logger,
         onRemove: @escaping @Sendable (ChatStream) -> Void) {
        self.id = id
        self.loop = loop
        self.origin = origin
        self.input = input
        self.upstream = upstream
        self.settings = settings
        self.buffer = ReplayBuffer(limit: settings.replayBufferBytes, budget: budget)
        var logger = logger
        logger[metadataKey: "stream.id"] = "\(id.prefix(8))…"
        self.logger = logger
        self.onRemove = onRemove
    }

    /// Ticket streams wait this long for their first reader. Call on the loop.
    func armTicketExpiry() {
        lifetimeTimer = loop.schedule(after: settings.ticketTTL) { [self] in
            guard connection == nil, !finished else { return }
            logger.debug("ticket expired without a reader")
            remove()
        }
    }

    /// Attaches `writer` as the reader, replaying every event after `lastSequence` (all when `nil`),
    /// then following live. A second reader without `Last-Event-ID` is refused (409); with it, it
    /// replaces the current reader. A `lastSequence` past the newest event issued is clamped to it:
    /// the reader gets nothing twice and follows live from there. Call on the stream's loop.
    func attach(writer: ResponseWriter, output: any StreamOutput, after requested: Int?, headers: HTTPHeaders) {
        loop.preconditionInEventLoop()
        let lastSequence = requested.map { min($0, self.lastSequence) }
        if removed {
            respond(writer, HTTPResponse(status: .noContent))
            return
        }
        if finished, let lastSequence, lastSequence >= self.lastSequence {
            respond(writer, HTTPResponse(status: .noContent))
            return
        }
        if subscriber != nil && lastSequence == nil {
            respond(writer, APIError(status: HTTPStatus(code: 409), type: "invalid_request_error", code: "stream_already_attached",
                                     message: "this stream already has a reader; reconnect with Last-Event-ID to take it over").response)
            return
        }
        let replay: [StreamEvent]
        if let events = buffer.events(after: lastSequence ?? 0) {
            replay = events
        } else {
            var event = StreamEvent.relayError(code: "replay_unavailable",
                                               message: buffer.unavailableReason(after: lastSequence ?? 0))
            event.sequence = self.lastSequence
            let unavailable = event
            let late = StreamSubscriber(writer: writer, output: output, streamID: id, heartbeatInterval: settings.heartbeatInterval)
            onSubscriberLoop(late) { late.begin(headers: headers); late.deliver([unavailable]) }
            return
        }
        if let previous = subscriber {
            subscriber = nil
            onSubscriberLoop(previous) { previous.end() }
        }
        graceTimer?.cancel()
        graceTimer = nil
        let reader = StreamSubscriber(writer: writer, output: output, streamID: id, heartbeatInterval: settings.heartbeatInterval)
        reader.onGone = { [weak self, weak reader] in
            guard let self, let reader else { return }
            self.loop.execute { self.readerGone(reader) }
        }
        reader.onBlocked = { [weak self, weak reader] in
            guard let self, let reader else { return }
            self.loop.execute { self.readerBlocked(reader, true) }
        }
        reader.onUnblocked = { [weak self, weak reader] in
            guard let self, let reader else { return }
            self.loop.execute { self.readerBlocked(reader, false) }
        }
        if !finished { subscriber = reader }
        if lastSequence != nil {
            metrics?.resumes.increment()
            if !replay.isEmpty { metrics?.replayedEvents.increment(by: Int64(replay.count)) }
        }
        onSubscriberLoop(reader) {
            reader.begin(headers: headers)
            if !replay.isEmpty { reader.deliver(replay) }
        }
        if connection == nil && !finished { startUpstream() }
        if upstreamPaused {
            upstreamPaused = false
            connection?.resumeReading()
        }
    }

    /// Cancels the stream now (server shutdown or a limit). Call on the loop.
    func cancel(code: String, message: String) {
        loop.preconditionInEventLoop()
        guard !finished else { return }
        connection?.cancel()
        finish(.relayError(code: code, message: message, httpStatus: 503))
    }

    // MARK: - Upstream

    private func startUpstream() {
        guard !acquiring, !finished else { return }
        acquiring = true
        lifetimeTimer?.cancel()
        lifetimeTimer = nil
        upstream.pool.acquire(on: loop, excluding: triedApps) { [self] result in
            acquiring = false
            switch result {
            case .success(let lease):
                guard !finished else {
                    upstream.pool.release(lease)
                    return
                }
                open(with: lease)
            case .failure(let exhausted):
                let failure = StreamFailure(sparkCode: nil, code: "upstream_busy", type: "upstream_error", httpStatus: 429,
                                            message: exhausted.message, sid: nil)
                metrics?.upstreamError(code: "upstream_busy")
                finish(StreamEvent(kind: .error, json: StreamEventJSON.error(failure), text: exhausted.message, failure: failure))
            }
        }
    }

    private func open(with lease: CredentialPool.Lease) {
        self.lease = lease
        triedApps.insert(lease.index)
        let request = input.sparkRequest(appID: lease.credentials.appID, defaultUID: "relay-\(id.prefix(24))")
        let connection = upstream.makeConnection(model: input.model, request: request, loop: loop, credentials: lease.credentials)
        connection.delegate = self
        self.connection = connection
        metrics?.streamsStarted.increment()
        upstreamStartedAt = DispatchTime.now().uptimeNanoseconds
        logger.debug("upstream starting", metadata: ["model": "\(input.model.name)", "upstream": "\(connection.endpoint)",
                                                     "spark.app": "\(lease.credentials.appID)"])
        connection.start()
    }

    private func releaseLease() {
        if let lease {
            upstream.pool.release(lease)
            self.lease = nil
        }
    }

    /// Failures that another Spark app may not have: authentication, and what the code table marks
    /// as failing over (licence, quota and rate limits).
    private static func warrantsFailover(_ error: SparkUpstreamError) -> Bool {
        switch error.kind {
        case .unauthorized, .forbidden: return true
        case .spark(let code): return SparkErrorCode.info(for: code).failsOver
        default: return false
        }
    }

    private func append(_ event: StreamEvent) {
        var event = event
        event.sequence = nextSequence
        nextSequence += 1
        lastSequence = event.sequence
        logWriter?.append(event)
        let reader = subscriber
        // With a reader attached, old events may be dropped (it has them) and an event too large to
        // hold is delivered live only; without one, dropping would break the reconnect, so the stream
        // ends instead (`replay_buffer_full`; Config/README.md, "Operating the relay").
        // A stream logged to Redis may have its reader on another relay: it counts as attached.
        if origin != .unlisted, case .refused(let refusal) = buffer.append(event, readerAttached: reader != nil || logWriter != nil),
           !event.isTerminal {
            connection?.cancel()
            finish(.relayError(code: "replay_buffer_full", message: refusal.message))
            return
        }
        guard let reader else { return }
        if reader.loop === loop {
            reader.deliver(event)
        } else {
            let numbered = event
            reader.loop.execute { reader.deliver(numbered) }
        }
    }

    private func finish(_ terminal: StreamEvent) {
        guard !finished else { return }
        // Counted before the reader can see the end, so a scrape right after it includes this stream.
        if let metrics {
            metrics.streamFinished(outcome: terminal.kind == .done ? "done" : terminal.failure?.code ?? "error")
            if let usage = lastUsage {
                metrics.tokens(model: input.model.name, key: keyName, prompt: usage.promptTokens, completion: usage.completionTokens)
            }
        }
        append(terminal)
        finished = true
        slot?.release()
        releaseLease()
        subscriber = nil
        graceTimer?.cancel()
        graceTimer = nil
        connection = nil
        lifetimeTimer?.cancel()
        if origin == .unlisted {
            remove()
        } else {
            lifetimeTimer = loop.schedule(after: settings.replayWindow) { [self] in remove() }
        }
    }

    private func remove() {
        guard !removed else { return }
        removed = true
        slot?.release()
        buffer.removeAll()
        onRemove(self)
    }

    // MARK: - Readers

    private func readerGone(_ reader: StreamSubscriber) {
        guard reader === subscriber, !finished else { return }
        subscriber = nil
        switch origin {
        case .direct, .unlisted:
            logger.debug("client disconnected: cancelling the upstream")
            metrics?.cancelsOnDisconnect.increment()
            connection?.cancel()
            finish(.relayError(code: "client_disconnected", message: "the stream was cancelled when its client disconnected"))
        case .ticket:
            if upstreamPaused {
                upstreamPaused = false
                connection?.resumeReading()
            }
            graceTimer = loop.schedule(after: settings.reconnectGrace) { [self] in graceExpired() }
        }
    }

    private func graceExpired() {
        guard subscriber == nil, !finished else { return }
        if let remoteReaderCheck {
            remoteReaderCheck { [self] held in
                guard subscriber == nil, !finished else { return }
                if held {
                    graceTimer = loop.schedule(after: remoteReaderRecheckInterval) { [self] in graceExpired() }
                } else {
                    cancelAfterGrace()
                }
            }
        } else {
            cancelAfterGrace()
        }
    }

    private func cancelAfterGrace() {
        logger.debug("no reconnect within the grace period: cancelling the upstream")
        metrics?.cancelsOnDisconnect.increment()
        connection?.cancel()
        finish(.relayError(code: "client_disconnected",
                           message: "the stream was cancelled: nobody reconnected within \(settings.reconnectGrace) s"))
    }

    private func readerBlocked(_ reader: StreamSubscriber, _ blocked: Bool) {
        guard reader === subscriber, let connection else { return }
        if blocked && !upstreamPaused {
            upstreamPaused = true
            connection.pauseReading()
        } else if !blocked && upstreamPaused {
            upstreamPaused = false
            connection.resumeReading()
        }
    }

    /// Runs `work` on the reader's loop: directly when it is this loop (no extra hop on the hot path).
    private func onSubscriberLoop(_ reader: StreamSubscriber, _ work: @escaping @Sendable () -> Void) {
        if reader.loop === loop {
            work()
        } else {
            reader.loop.execute(work)
        }
    }

    private func respond(_ writer: ResponseWriter, _ response: HTTPResponse) {
        if writer.loop === loop {
            writer.respond(response)
        } else {
            writer.loop.execute { writer.respond(response) }
        }
    }

    private var lastUsage: SparkUsage?
}

extension ChatStream: SparkConnectionDelegate {
    func sparkConnection(_ connection: SparkConnection, didReceive frame: SparkResponseFrame) {
        guard !finished else { return }
        if !sawFirstFrame {
            sawFirstFrame = true
            metrics?.timeToFirstFrame.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - upstreamStartedAt))
            if let handshake = connection.handshakeNanoseconds { metrics?.upstreamHandshake.recordNanoseconds(Int64(handshake)) }
            if let resumed = connection.tlsSessionResumed {
                (resumed ? metrics?.upstreamTLSResumed : metrics?.upstreamTLSFull)?.increment()
            }
        }
        metrics?.chunksRelayed.increment()
        metrics?.bytesRelayed.increment(by: Int64(frame.payloadJSON?.count ?? 0))
        if let usage = frame.usage { lastUsage = usage }
        append(StreamEvent(kind: .data, json: frame.payloadJSON ?? Array("{}".utf8), text: frame.content,
                           reasoning: frame.reasoningContent, functionCall: frame.functionCall, sid: frame.sid, usage: frame.usage))
    }

    func sparkConnection(_ connection: SparkConnection, didFinishWith error: SparkUpstreamError?) {
        guard !finished else { return }
        if let error, !sawFirstFrame, let lease, Self.warrantsFailover(error), upstream.pool.count > triedApps.count {
            // Nothing was relayed yet: leave this app out for a while and try the next one.
            logger.warning("Spark app failed, failing over", metadata: ["spark.app": "\(lease.credentials.appID)", "error": "\(error.relayCode)"])
            metrics?.upstreamError(code: error.relayCode)
            upstream.pool.markDown(lease, reason: error.relayCode)
            releaseLease()
            self.connection = nil
            startUpstream()
            return
        }
        if let error {
            switch error.kind {
            case .unauthorized, .forbidden, .clockSkew:
                // The operator's problem, not the client's: every request will fail the same way.
                logger.error("Spark refused the relay's credentials: check them with `spark-relay check`",
                             metadata: ["error": "\(error.relayCode)", "detail": "\(error.message)"])
            default:
                logger.info("upstream failed", metadata: ["error": "\(error.relayCode)", "upstream.sid": "\(error.sid ?? "-")"])
            }
            metrics?.upstreamError(code: error.relayCode)
            let failure = StreamFailure(sparkCode: error.sparkCode, code: error.relayCode, type: "upstream_error",
                                        httpStatus: error.httpStatus, message: error.message, sid: error.sid)
            finish(StreamEvent(kind: .error, json: StreamEventJSON.error(failure), text: error.message, sid: error.sid, failure: failure))
        } else {
            finish(StreamEvent(kind: .done, json: StreamEventJSON.done(sid: connection.sid, usage: lastUsage),
                               sid: connection.sid, usage: lastUsage))
        }
    }
}
