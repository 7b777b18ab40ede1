import Dispatch
import HTTPCodec
import Logging
import RelayIO
import SparkCodec
import SparkUpstream
import Tracing

/// One chat stream: owns its Spark conversation, numbers its events, keeps them for replay, and
/// writes them to the attached reader. Lives on its home event loop; the reader may sit on another
/// loop (a reconnect can land anywhere), in which case data hops to the reader's loop in order.
///
/// This class is the I/O shell of `ChatStreamLifecycle`, which decides every transition: it feeds
/// the lifecycle events (readers, the credential pool, the upstream, its one deadline timer) and
/// performs the actions it returns. Direct streams (`POST /chat/stream`) cancel the upstream the
/// moment their reader leaves; ticket streams (`POST /chat` + `GET /chat/stream/{id}`) keep it
/// running for `reconnect_grace` so that `EventSource`'s automatic reconnect loses nothing.
// @unchecked: confined to `loop`; every member is touched only there (entry points hop or check).
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
    /// The protocol of the stream's model (for the access log; `input` never changes).
    var upstreamProtocol: SparkProtocol { input.model.upstreamProtocol }
    private let upstream: UpstreamSettings
    private let settings: RelayConfiguration.Stream
    private let logger: Logger
    private let onRemove: @Sendable (ChatStream) -> Void
    /// Seconds on a monotonic clock (injected by tests).
    private let clock: @Sendable () -> Double
    private var lifecycle: ChatStreamLifecycle
    /// Wakes the lifecycle at its `nextDeadline`.
    private var deadline: LoopDeadlineTimer?
    private var connection: (any UpstreamConversation)?
    private var buffer: ReplayBuffer
    private var nextSequence = 1
    private var lastSequence = 0
    private var subscriber: StreamSubscriber?
    /// The client's stream slot, given back when the stream is over.
    var slot: StreamSlot?
    /// Where counters go (optional for tests that build streams alone).
    var metrics: RelayMetrics?
    /// The named key the stream was started with (a label of the token counter).
    var keyName: String?
    private var upstreamStartedAt: UInt64 = 0
    private var lastUsage: SparkUsage?
    /// Who asked, for the usage record (set by the factory; `nil` in tests that build streams alone).
    var usageContext: UsageContext?
    /// Where usage records go (`log.usage_file`), when configured.
    var usageLog: UsageLog?
    /// The named keys' budgets: the conversation's tokens count against its key.
    var budgets: (any BudgetLedger)?
    /// Whether a conversation was opened (only then is there usage to record).
    private var reachedUpstream = false
    /// Seconds (stream clock) of Spark's first frame, for the record's time to first token.
    private var firstFrameAt: Double?
    private var upstreamOpenedAt: Double?
    /// The relay's estimate of the text streamed so far (used when Spark's final `usage` never comes).
    private var streamedTally = SparkTokenEstimator.Tally()
    private var lastSID: String?
    /// The Spark app this conversation runs on (or was just leased), and the apps already tried.
    private var lease: CredentialPool.Lease?
    private var triedApps: Set<Int> = []
    /// The shared event log (Redis engine, ticket streams): every numbered event also goes there.
    private var logWriter: (any StreamLogWriter)?
    /// Asks whether a relay elsewhere holds a reader of this stream (Redis engine).
    private var askElsewhere: ((@escaping (Bool) -> Void) -> Void)?
    /// What each upstream attempt's span is started with (`nil`: tracing off).
    var tracer: (any Tracer)?
    /// The context of the request that asked for the stream: attempts are its children. Set by the
    /// factory before the stream is registered, never changed after (read from any loop).
    var traceContext = ServiceContext.topLevel
    /// The span of the upstream attempt under way.
    private var attemptSpan: UpstreamAttemptSpan?
    /// Whether Spark sent a function call (the finish reason is then `tool_calls`).
    private var sawFunctionCall = false

    init(id: String, loop: EventLoop, origin: Origin, input: ChatInput, upstream: UpstreamSettings,
         settings: RelayConfiguration.Stream, budget: ReplayBudget, logger: Logger,
         clock: @escaping @Sendable () -> Double = ChatStream.uptimeSeconds,
         onRemove: @escaping @Sendable (ChatStream) -> Void) {
        self.id = id
        self.loop = loop
        self.origin = origin
        self.input = input
        self.upstream = upstream
        self.settings = settings
        self.clock = clock
        self.lifecycle = ChatStreamLifecycle(origin: origin, reconnectGrace: settings.reconnectGrace,
                                             replayWindow: settings.replayWindow)
        self.buffer = ReplayBuffer(limit: settings.replayBufferBytes, budget: budget)
        var logger = logger
        logger[metadataKey: "stream.id"] = "\(id.prefix(8))…"
        self.logger = logger
        self.onRemove = onRemove
    }

    /// Seconds since boot (the default clock).
    static func uptimeSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// Ticket streams wait `stream.ticket_ttl` for their first reader. Call on the loop.
    func armTicketExpiry() {
        loop.preconditionInEventLoop()
        lifecycle.ticketMade(ttl: settings.ticketTTL, now: clock())
        rearm()
    }

    /// Logs every event to `writer` (a shared engine), and before cancelling after the grace asks
    /// `readersElsewhere` whether a relay elsewhere holds a reader. Call on the loop, before attaching.
    func logToEngine(_ writer: any StreamLogWriter, readersElsewhere: @escaping (@escaping (Bool) -> Void) -> Void) {
        loop.preconditionInEventLoop()
        logWriter = writer
        askElsewhere = readersElsewhere
        lifecycle.readersElsewhere = true
    }

    /// Attaches `writer` as the reader, replaying every event after `requested` (all when `nil`),
    /// then following live. A second reader without `Last-Event-ID` is refused (409); with it, it
    /// replaces the current reader. A `requested` past the newest event issued is clamped to it:
    /// the reader gets nothing twice and follows live from there. Call on the stream's loop.
    func attach(writer: ResponseWriter, output: any StreamOutput, after requested: Int?, headers: HTTPHeaders) {
        loop.preconditionInEventLoop()
        let after = requested.map { min($0, lastSequence) }
        let replay = buffer.events(after: after ?? 0)
        let verdict = lifecycle.readerArrives(resuming: after != nil, caughtUp: after.map { $0 >= lastSequence } ?? false,
                                              replayAvailable: replay != nil)
        switch verdict {
        case .gone:
            respond(writer, HTTPResponse(status: .noContent))
        case .conflict:
            respond(writer, APIError(status: HTTPStatus(code: 409), type: "invalid_request_error", code: "stream_already_attached",
                                     message: "this stream already has a reader; reconnect with Last-Event-ID to take it over").response)
        case .replayUnavailable:
            var event = StreamEvent.relayError(code: "replay_unavailable", message: buffer.unavailableReason(after: after ?? 0))
            event.sequence = lastSequence
            let unavailable = event
            let late = StreamSubscriber(writer: writer, output: output, streamID: id, heartbeatInterval: settings.heartbeatInterval)
            onSubscriberLoop(late) { late.begin(headers: headers); late.deliver([unavailable]) }
        case .attach(let keep, let actions):
            let reader = StreamSubscriber(writer: writer, output: output, streamID: id, heartbeatInterval: settings.heartbeatInterval)
            if keep { watch(reader) }
            let previous = subscriber
            subscriber = keep ? reader : nil
            if after != nil {
                metrics?.resumes.increment()
                if let replay, !replay.isEmpty { metrics?.replayedEvents.increment(by: Int64(replay.count)) }
            }
            let events = replay ?? []
            onSubscriberLoop(reader) {
                reader.begin(headers: headers)
                if !events.isEmpty { reader.deliver(events) }
            }
            perform(actions, previousReader: previous)
        }
    }

    // MARK: - Actions

    private func perform(_ actions: [ChatStreamLifecycle.Action], previousReader: StreamSubscriber? = nil) {
        for action in actions {
            switch action {
            case .acquireCredential:
                acquireCredential()
            case .openUpstream:
                openUpstream()
            case .returnCredential:
                releaseLease()
            case .failOver:
                attemptSpan?.failedOver(failoverFailure)
                attemptSpan = nil
                if let lease { upstream.pool.markDown(lease, reason: failoverReason ?? "failover") }
                releaseLease()
                connection = nil
            case .cancelUpstream:
                connection?.cancel()
            case .pauseUpstream:
                connection?.pauseReading()
            case .resumeUpstream:
                connection?.resumeReading()
            case .endPreviousReader:
                if let previousReader { onSubscriberLoop(previousReader) { previousReader.end() } }
            case .askElsewhere:
                askReadersElsewhere()
            case .finish(let terminal):
                finish(terminal)
            case .remove:
                remove()
            }
        }
        rearm()
    }

    /// Sets the deadline timer to the lifecycle's next deadline, or disarms it.
    private func rearm() {
        guard let next = lifecycle.nextDeadline else {
            deadline?.disarm()
            return
        }
        if deadline == nil {
            deadline = LoopDeadlineTimer(loop: loop) { [weak self] in self?.deadlinePassed() }
        }
        deadline?.arm(after: next - clock())
    }

    private func deadlinePassed() {
        perform(lifecycle.deadlinePassed(now: clock(), graceEnding: Self.graceEnding(settings.reconnectGrace)))
    }

    private func askReadersElsewhere() {
        guard let askElsewhere else { return }
        askElsewhere { [self] held in
            perform(lifecycle.elsewhereAnswered(held: held, now: clock(), graceEnding: Self.graceEnding(settings.reconnectGrace)))
        }
    }

    private static func graceEnding(_ grace: Double) -> StreamEvent {
        .relayError(code: "client_disconnected", message: "the stream was cancelled: nobody reconnected within \(grace) s")
    }

    // MARK: - Upstream

    /// The code of the failure that is moving the stream to another credential.
    private var failoverReason: String?
    /// That failure, for the attempt's span.
    private var failoverFailure: StreamFailure?

    private func acquireCredential() {
        upstream.pool.acquire(on: loop, excluding: triedApps) { [self] result in
            switch result {
            case .success(let lease):
                self.lease = lease
                perform(lifecycle.credentialLeased())
            case .failure(let exhausted):
                let failure = StreamFailure(sparkCode: nil, code: "upstream_busy", type: "upstream_error", httpStatus: 429,
                                            message: exhausted.message, sid: nil)
                metrics?.upstreamError(code: "upstream_busy")
                let ending = StreamEvent(kind: .error, json: StreamEventJSON.error(failure), text: exhausted.message, failure: failure)
                perform(lifecycle.credentialUnavailable(now: clock(), ending: ending))
            }
        }
    }

    private func openUpstream() {
        guard let lease else { return }
        triedApps.insert(lease.index)
        let sparkUpstream = upstream.upstream(for: input.model)
        var request = input.upstreamRequest
        if let tracer {
            let span = UpstreamAttemptSpan(tracer: tracer, parent: traceContext, input: input, lease: lease,
                                           endpoint: sparkUpstream.endpointDescription(for: input.model),
                                           attempt: triedApps.count, failoverReason: triedApps.count > 1 ? failoverReason : nil)
            request.propagationHeaders = span.propagationHeaders
            attemptSpan = span
        }
        let connection = sparkUpstream.makeConversation(
            for: request, credentials: lease.credentials, loop: loop, defaultUID: "relay-\(id.prefix(24))")
        connection.delegate = self
        self.connection = connection
        metrics?.streamsStarted.increment()
        metrics?.conversationOpened(input.model.upstreamProtocol)
        if !reachedUpstream {
            reachedUpstream = true
            upstreamOpenedAt = clock()
        }
        upstreamStartedAt = DispatchTime.now().uptimeNanoseconds
        logger.debug("upstream starting", metadata: ["model": "\(input.model.name)", "upstream": "\(connection.endpointDescription)",
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

    // MARK: - Events and the end

    /// Numbers `event`, logs it to the engine, keeps it for replay and hands it to the reader.
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
            perform(lifecycle.replayBufferRefused(now: clock(), ending: .relayError(code: "replay_buffer_full", message: refusal.message)))
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

    /// Counts the end, appends the terminal event and lets go of everything the stream held.
    private func finish(_ terminal: StreamEvent) {
        // Counted before the reader can see the end, so a scrape right after it includes this stream.
        if let metrics {
            let outcome = terminal.kind == .done ? "done" : terminal.failure?.code ?? "error"
            metrics.streamFinished(outcome: outcome)
            if outcome == "client_disconnected" {
                logger.debug("client gone: cancelling the upstream")
                metrics.cancelsOnDisconnect.increment()
            }
        }
        if reachedUpstream {
            let record = usageRecord(for: terminal)
            attemptSpan?.finished(terminal, promptTokens: record.promptTokens, completionTokens: record.completionTokens,
                                  estimated: record.estimated, sid: record.sid, toolCalled: sawFunctionCall, maxTokens: input.maxTokens,
                                  sparkUsage: lastUsage)
            attemptSpan = nil
            metrics?.tokens(model: input.model.name, key: keyName, prompt: record.promptTokens, completion: record.completionTokens)
            usageLog?.append(record)
            budgets?.record(key: keyName, model: input.model.name, tokens: record.totalTokens, on: loop)
        }
        append(terminal)
        slot?.release()
        releaseLease()
        subscriber = nil
        connection = nil
    }

    /// What the conversation cost: Spark's `usage`, else the estimate of the prompt and of the text
    /// actually streamed.
    private func usageRecord(for terminal: StreamEvent) -> UsageRecord {
        let now = clock()
        let context = usageContext
        let outcome: UsageRecord.Outcome
        var errorCode: String?
        if terminal.kind == .done {
            outcome = .done
        } else if let failure = terminal.failure {
            errorCode = failure.sparkCode.map(String.init) ?? failure.code
            if failure.code == "client_disconnected" {
                outcome = .clientGone
            } else if let code = failure.sparkCode, SparkErrorCode.info(for: code).isModeration {
                outcome = .moderation
            } else {
                outcome = failure.type == "upstream_error" ? .upstreamError : .relayError
            }
        } else {
            outcome = .relayError
        }
        let prompt = lastUsage?.promptTokens ?? SparkTokenEstimator.estimate(input.messages)
        let completion = lastUsage?.completionTokens ?? streamedTally.tokens
        return UsageRecord(
            time: UnixTime.now(), requestID: context?.requestID ?? String(id.prefix(8)) + "…", key: keyName,
            client: keyName == nil ? context?.client : nil, route: context?.route ?? "-", model: input.model.name,
            sparkProtocol: input.model.upstreamProtocol, stream: context?.stream ?? true,
            promptTokens: prompt, completionTokens: completion, estimated: lastUsage == nil, outcome: outcome,
            errorCode: errorCode, durationMilliseconds: (now - (context?.startedAt ?? upstreamOpenedAt ?? now)) * 1000,
            timeToFirstTokenMilliseconds: firstFrameAt.flatMap { first in upstreamOpenedAt.map { (first - $0) * 1000 } },
            sid: terminal.sid ?? lastSID, traceID: context?.traceID)
    }

    private func remove() {
        deadline?.cancel()
        deadline = nil
        slot?.release()
        buffer.removeAll()
        onRemove(self)
    }

    // MARK: - Readers

    /// Wires `reader`'s departure and back-pressure to the lifecycle (hopping to this loop).
    private func watch(_ reader: StreamSubscriber) {
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
    }

    private func readerGone(_ reader: StreamSubscriber) {
        guard reader === subscriber else { return }
        subscriber = nil
        perform(lifecycle.readerLeft(now: clock(), ending: .relayError(
            code: "client_disconnected", message: "the stream was cancelled when its client disconnected")))
    }

    private func readerBlocked(_ reader: StreamSubscriber, _ blocked: Bool) {
        guard reader === subscriber else { return }
        perform(lifecycle.readerBlocked(blocked))
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
}

extension ChatStream: UpstreamConversationDelegate {
    func upstreamConversation(_ connection: any UpstreamConversation, didReceive frame: SparkResponseFrame) {
        guard connection === self.connection else { return }
        if lifecycle.frameReceived() {
            metrics?.timeToFirstFrame.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - upstreamStartedAt))
            if let handshake = connection.handshakeNanoseconds { metrics?.upstreamHandshake.recordNanoseconds(Int64(handshake)) }
            if let resumed = connection.tlsSessionResumed {
                (resumed ? metrics?.upstreamTLSResumed : metrics?.upstreamTLSFull)?.increment()
            }
            attemptSpan?.firstFrame(handshakeNanoseconds: connection.handshakeNanoseconds, tlsResumed: connection.tlsSessionResumed)
        }
        if !frame.functionCalls.isEmpty { sawFunctionCall = true }
        metrics?.chunksRelayed.increment()
        metrics?.bytesRelayed.increment(by: Int64(frame.payloadJSON?.count ?? 0))
        if let usage = frame.usage { lastUsage = usage }
        if firstFrameAt == nil { firstFrameAt = clock() }
        if let sid = frame.sid { lastSID = sid }
        if lastUsage == nil {
            streamedTally.add(frame.content)
            if let reasoning = frame.reasoningContent { streamedTally.add(reasoning) }
        }
        append(StreamEvent(kind: .data, json: frame.payloadJSON ?? Array("{}".utf8), text: frame.content,
                           reasoning: frame.reasoningContent, functionCalls: frame.functionCalls, sid: frame.sid, usage: frame.usage))
    }

    func upstreamConversation(_ connection: any UpstreamConversation, didFinishWith error: SparkUpstreamError?) {
        guard connection === self.connection else { return }
        guard let error else {
            perform(lifecycle.upstreamEnded(StreamEvent(kind: .done, json: StreamEventJSON.done(sid: connection.sid, usage: lastUsage),
                                                        sid: connection.sid, usage: lastUsage),
                                            canFailOver: false, now: clock()))
            return
        }
        metrics?.upstreamError(code: error.relayCode)
        let canFailOver = Self.warrantsFailover(error) && upstream.pool.count > triedApps.count
        let failure = StreamFailure(sparkCode: error.sparkCode, code: error.relayCode, type: "upstream_error",
                                    httpStatus: error.httpStatus, message: error.message, sid: error.sid)
        let ending = StreamEvent(kind: .error, json: StreamEventJSON.error(failure), text: error.message, sid: error.sid, failure: failure)
        failoverReason = error.relayCode
        failoverFailure = failure
        let actions = lifecycle.upstreamEnded(ending, canFailOver: canFailOver, now: clock())
        if actions.contains(.failOver), let lease {
            // Nothing was relayed yet: leave this app out for a while and try the next one.
            logger.warning("Spark app failed, failing over", metadata: ["spark.app": "\(lease.credentials.appID)", "error": "\(error.relayCode)"])
        } else {
            switch error.kind {
            case .unauthorized, .forbidden, .clockSkew:
                // The operator's problem, not the client's: every request will fail the same way.
                logger.error("Spark refused the relay's credentials: check them with `spark-relay check`",
                             metadata: ["error": "\(error.relayCode)", "detail": "\(error.message)"])
            default:
                logger.info("upstream failed", metadata: ["error": "\(error.relayCode)", "upstream.sid": "\(error.sid ?? "-")"])
            }
        }
        perform(actions)
    }
}
