/// The life of one chat stream as a value: events in (a reader arrives or leaves, a credential is
/// leased, the upstream ends, a deadline passes), actions out (open or cancel the upstream, end the
/// stream with a terminal event, remove it). No I/O and no clock of its own: every event that
/// depends on time carries `now` (seconds on any monotonic clock), and `nextDeadline` says when the
/// shell (`ChatStream`) must call `deadlinePassed` next. So each transition — ticket expiry, the
/// reconnect grace, the remote-reader recheck, failover, the replay window — is tested without
/// sockets or sleeping.
///
/// ```
///  ticket ─► awaitingFirstReader ─┐ (ticket_ttl: removed)
///  direct, unlisted ─► created ───┴─ reader ─► acquiring ─► streaming ─► finished ─► removed
///                                               ▲   │ failover   │        (replay_window; unlisted at once)
///                                               └───┘            └─ reader away: grace, then cancel
/// ```
struct ChatStreamLifecycle: Sendable, Equatable {
    /// Where the stream is.
    enum Phase: Sendable, Equatable {
        /// Made, no reader yet (direct and `/v1` streams attach at once).
        case created
        /// A ticket waiting for its first `GET` until the deadline, then removed.
        case awaitingFirstReader(until: Double)
        /// Waiting for a Spark credential (the pool may queue).
        case acquiring
        /// The upstream is open; `sawFirstFrame` once Spark answered (no failover after that).
        case streaming(sawFirstFrame: Bool)
        /// The terminal event is out; replayable until `removeAt` (`nil`: removed with it).
        case finished(removeAt: Double?)
        /// Gone from the registry.
        case removed
    }

    /// Whether a reader is attached.
    enum Reader: Sendable, Equatable {
        /// Nobody attached yet.
        case none
        /// A reader is attached.
        case attached
        /// The reader left; the upstream keeps running for a reconnect until `graceUntil`.
        case away(graceUntil: Double)
        /// The grace passed; asking whether a relay elsewhere holds a reader (Redis engine).
        case askingElsewhere
        /// A relay elsewhere holds a reader: ask again at `recheckAt`.
        case heldElsewhere(recheckAt: Double)
    }

    /// What the shell does, in order.
    enum Action: Sendable, Equatable {
        /// Lease a Spark credential, leaving out the ones already tried.
        case acquireCredential
        /// Open the upstream with the credential just leased.
        case openUpstream
        /// Give back a credential leased after the stream ended.
        case returnCredential
        /// Leave the failed credential out for its cool-off and give it back (then `acquireCredential`).
        case failOver
        /// Close the upstream (WebSocket close 1000).
        case cancelUpstream
        /// Stop reading the upstream (the reader's socket is full), or read again.
        case pauseUpstream
        case resumeUpstream
        /// End the response of the reader a resume took the stream from.
        case endPreviousReader
        /// Ask the engine whether a relay elsewhere holds a reader.
        case askElsewhere
        /// Append `terminal`, count the stream's end, give back its slot and credential, let go of the reader.
        case finish(StreamEvent)
        /// Leave the registry and free the replay buffer.
        case remove
    }

    /// What becomes of a reader that asks for the stream.
    enum ReaderVerdict: Sendable, Equatable {
        /// `204`: the stream is gone, or over and the reader has its last event.
        case gone
        /// `409`: another reader holds it and this one does not resume.
        case conflict
        /// The events it asks for are no longer held: `replay_unavailable` to it alone.
        case replayUnavailable
        /// Replay to it, then follow live (`keep`) or end (the stream is over); then `actions`.
        case attach(keep: Bool, actions: [Action])
    }

    let origin: ChatStream.Origin
    /// `stream.reconnect_grace`.
    let reconnectGrace: Double
    /// `stream.replay_window`.
    let replayWindow: Double
    /// How often a reader held elsewhere is asked about again.
    let recheckInterval: Double
    /// Whether readers can sit on other relays (a stream logged to the Redis engine).
    var readersElsewhere = false

    private(set) var phase = Phase.created
    private(set) var reader = Reader.none
    private(set) var upstreamPaused = false

    init(origin: ChatStream.Origin, reconnectGrace: Double, replayWindow: Double, recheckInterval: Double = 1) {
        self.origin = origin
        self.reconnectGrace = reconnectGrace
        self.replayWindow = replayWindow
        self.recheckInterval = recheckInterval
    }

    /// `true` once the terminal event is out.
    var isFinished: Bool {
        switch phase {
        case .finished, .removed: true
        default: false
        }
    }

    /// When `deadlinePassed` is due next, if anything waits on time.
    var nextDeadline: Double? {
        var phaseDeadline: Double?
        switch phase {
        case .awaitingFirstReader(let until): phaseDeadline = until
        case .finished(let removeAt?): phaseDeadline = removeAt
        default: break
        }
        var readerDeadline: Double?
        if !isFinished {
            switch reader {
            case .away(let graceUntil): readerDeadline = graceUntil
            case .heldElsewhere(let recheckAt): readerDeadline = recheckAt
            default: break
            }
        }
        guard let phaseDeadline else { return readerDeadline }
        guard let readerDeadline else { return phaseDeadline }
        return min(phaseDeadline, readerDeadline)
    }

    // MARK: - Events

    /// A ticket was made: it waits `ttl` seconds for its first reader.
    mutating func ticketMade(ttl: Double, now: Double) {
        guard case .created = phase else { return }
        phase = .awaitingFirstReader(until: now + ttl)
    }

    /// A reader asks for the stream. `resuming`: it sent `Last-Event-ID`; `caughtUp`: it has the
    /// newest event; `replayAvailable`: the events after its position are still held.
    mutating func readerArrives(resuming: Bool, caughtUp: Bool, replayAvailable: Bool) -> ReaderVerdict {
        if case .removed = phase { return .gone }
        if isFinished && resuming && caughtUp { return .gone }
        if reader == .attached && !resuming { return .conflict }
        guard replayAvailable else { return .replayUnavailable }
        var actions: [Action] = []
        if reader == .attached { actions.append(.endPreviousReader) }
        if isFinished { return .attach(keep: false, actions: actions) }
        reader = .attached
        switch phase {
        case .created, .awaitingFirstReader:
            phase = .acquiring
            actions.append(.acquireCredential)
        default:
            break
        }
        if upstreamPaused {
            upstreamPaused = false
            actions.append(.resumeUpstream)
        }
        return .attach(keep: true, actions: actions)
    }

    /// The attached reader's connection went away.
    mutating func readerLeft(now: Double, ending: StreamEvent) -> [Action] {
        guard reader == .attached, !isFinished else { return [] }
        switch origin {
        case .direct, .unlisted:
            reader = .none
            return finish(ending, now: now, cancelUpstream: true)
        case .ticket:
            reader = .away(graceUntil: now + reconnectGrace)
            if upstreamPaused {
                upstreamPaused = false
                return [.resumeUpstream]
            }
            return []
        }
    }

    /// The attached reader's socket filled up (`blocked`) or drained again.
    mutating func readerBlocked(_ blocked: Bool) -> [Action] {
        guard reader == .attached, case .streaming = phase else { return [] }
        if blocked && !upstreamPaused {
            upstreamPaused = true
            return [.pauseUpstream]
        }
        if !blocked && upstreamPaused {
            upstreamPaused = false
            return [.resumeUpstream]
        }
        return []
    }

    /// The pool leased a credential.
    mutating func credentialLeased() -> [Action] {
        guard case .acquiring = phase else { return [.returnCredential] }
        phase = .streaming(sawFirstFrame: false)
        return [.openUpstream]
    }

    /// No credential could be had in time: the stream ends with `ending` (`upstream_busy`).
    mutating func credentialUnavailable(now: Double, ending: StreamEvent) -> [Action] {
        guard case .acquiring = phase else { return [] }
        return finish(ending, now: now, cancelUpstream: false)
    }

    /// Spark sent a frame; `true` when it is the first one.
    mutating func frameReceived() -> Bool {
        guard case .streaming(false) = phase else { return false }
        phase = .streaming(sawFirstFrame: true)
        return true
    }

    /// The upstream ended with `ending` (`done`, or the failure). `canFailOver`: the failure is one
    /// another credential may not have, and an untried one is left; honoured only before any frame.
    mutating func upstreamEnded(_ ending: StreamEvent, canFailOver: Bool, now: Double) -> [Action] {
        guard case .streaming(let sawFirstFrame) = phase else { return [] }
        if canFailOver && !sawFirstFrame {
            phase = .acquiring
            return [.failOver, .acquireCredential]
        }
        return finish(ending, now: now, cancelUpstream: false)
    }

    /// The replay buffer cannot hold an event and no reader has it: end with `ending`.
    mutating func replayBufferRefused(now: Double, ending: StreamEvent) -> [Action] {
        finish(ending, now: now, cancelUpstream: true)
    }

    /// A deadline passed (`nextDeadline`): the ticket expires, the grace ends, a held reader is
    /// asked about again, or the replay window closes. `ending` is the terminal of a grace that
    /// ends without a reader.
    mutating func deadlinePassed(now: Double, graceEnding: StreamEvent) -> [Action] {
        switch phase {
        case .awaitingFirstReader(let until) where until <= now:
            phase = .removed
            return [.remove]
        case .finished(let removeAt?) where removeAt <= now:
            phase = .removed
            return [.remove]
        default:
            break
        }
        guard !isFinished else { return [] }
        switch reader {
        case .away(let graceUntil) where graceUntil <= now, .heldElsewhere(let graceUntil) where graceUntil <= now:
            if readersElsewhere {
                reader = .askingElsewhere
                return [.askElsewhere]
            }
            reader = .none
            return finish(graceEnding, now: now, cancelUpstream: true)
        default:
            return []
        }
    }

    /// The engine answered whether a relay elsewhere holds a reader.
    mutating func elsewhereAnswered(held: Bool, now: Double, graceEnding: StreamEvent) -> [Action] {
        guard reader == .askingElsewhere, !isFinished else { return [] }
        if held {
            reader = .heldElsewhere(recheckAt: now + recheckInterval)
            return []
        }
        reader = .none
        return finish(graceEnding, now: now, cancelUpstream: true)
    }

    private mutating func finish(_ terminal: StreamEvent, now: Double, cancelUpstream: Bool) -> [Action] {
        guard !isFinished else { return [] }
        var actions: [Action] = cancelUpstream ? [.cancelUpstream] : []
        actions.append(.finish(terminal))
        reader = .none
        upstreamPaused = false
        if origin == .unlisted {
            phase = .removed
            actions.append(.remove)
        } else {
            phase = .finished(removeAt: now + replayWindow)
        }
        return actions
    }
}
