import Testing
@testable import Relay

/// `ChatStreamLifecycle` alone: every transition driven by events with explicit times, no sockets,
/// no timers, no sleeping.
@Suite struct ChatStreamLifecycleTests {
    private static let grace = 10.0
    private static let window = 60.0
    private let done = StreamEvent(kind: .done, json: Array(#"{"sid":"s"}"#.utf8))
    private let gone = StreamEvent.relayError(code: "client_disconnected", message: "gone")
    private let graceOver = StreamEvent.relayError(code: "client_disconnected", message: "grace")

    private func lifecycle(_ origin: ChatStream.Origin) -> Machine {
        Machine(ChatStreamLifecycle(origin: origin, reconnectGrace: Self.grace, replayWindow: Self.window, recheckInterval: 1))
    }

    /// A stream whose reader is attached and whose upstream is open.
    private func streaming(_ origin: ChatStream.Origin) -> Machine {
        let machine = lifecycle(origin)
        #expect(machine.readerArrives(resuming: false, caughtUp: false, replayAvailable: true)
                == .attach(keep: true, actions: [.acquireCredential]))
        #expect(machine.credentialLeased() == [.openUpstream])
        return machine
    }

    @Test func ticketExpiresAtItsTTLUnlessAReaderCame() {
        let machine = lifecycle(.ticket)
        machine.ticketMade(ttl: 60, now: 100)
        #expect(machine.nextDeadline == 160)
        #expect(machine.deadlinePassed(now: 159.9, graceEnding: graceOver) == [])
        #expect(machine.deadlinePassed(now: 160, graceEnding: graceOver) == [.remove])
        #expect(machine.phase == .removed)
        #expect(machine.readerArrives(resuming: false, caughtUp: false, replayAvailable: true) == .gone)

        let claimed = lifecycle(.ticket)
        claimed.ticketMade(ttl: 60, now: 100)
        #expect(claimed.readerArrives(resuming: false, caughtUp: false, replayAvailable: true) == .attach(keep: true, actions: [.acquireCredential]))
        #expect(claimed.nextDeadline == nil)
    }

    @Test func firstFrameIsReportedOnce() {
        let machine = streaming(.direct)
        #expect(machine.frameReceived())
        #expect(!machine.frameReceived())
        #expect(machine.upstreamEnded(done, canFailOver: false, now: 5) == [.finish(done)])
        #expect(machine.phase == .finished(removeAt: 5 + Self.window))
        #expect(machine.deadlinePassed(now: 5 + Self.window, graceEnding: graceOver) == [.remove])
    }

    @Test func directReaderLeavingCancelsAtOnce() {
        let machine = streaming(.direct)
        #expect(machine.readerLeft(now: 3, ending: gone) == [.cancelUpstream, .finish(gone)])
        #expect(machine.nextDeadline == 3 + Self.window)
        // It stays replayable by id: a resume gets the events, then the end; nothing is kept.
        #expect(machine.readerArrives(resuming: true, caughtUp: false, replayAvailable: true) == .attach(keep: false, actions: []))
        #expect(machine.readerArrives(resuming: true, caughtUp: true, replayAvailable: true) == .gone)
    }

    @Test func unlistedStreamsLeaveTheRegistryWithTheirEnd() {
        let machine = streaming(.unlisted)
        #expect(machine.upstreamEnded(done, canFailOver: false, now: 1) == [.finish(done), .remove])
        #expect(machine.phase == .removed)
        #expect(machine.nextDeadline == nil)
    }

    @Test func ticketReaderComingBackWithinTheGraceLosesNothing() {
        let machine = streaming(.ticket)
        #expect(machine.readerLeft(now: 10, ending: gone) == [])
        #expect(machine.nextDeadline == 10 + Self.grace)
        #expect(machine.readerArrives(resuming: true, caughtUp: false, replayAvailable: true) == .attach(keep: true, actions: []))
        #expect(machine.nextDeadline == nil)
        #expect(machine.deadlinePassed(now: 10 + Self.grace, graceEnding: graceOver) == [])
    }

    @Test func ticketGraceEndingWithoutAReaderCancels() {
        let machine = streaming(.ticket)
        _ = machine.readerLeft(now: 10, ending: gone)
        #expect(machine.deadlinePassed(now: 19.9, graceEnding: graceOver) == [])
        #expect(machine.deadlinePassed(now: 20, graceEnding: graceOver) == [.cancelUpstream, .finish(graceOver)])
        #expect(machine.isFinished)
    }

    @Test func aReaderHeldElsewhereKeepsTheUpstreamUntilItGoes() {
        let machine = streaming(.ticket)
        machine.readersElsewhere = true
        _ = machine.readerLeft(now: 0, ending: gone)
        #expect(machine.deadlinePassed(now: Self.grace, graceEnding: graceOver) == [.askElsewhere])
        #expect(machine.nextDeadline == nil)
        #expect(machine.elsewhereAnswered(held: true, now: 10.5, graceEnding: graceOver) == [])
        #expect(machine.nextDeadline == 11.5)
        #expect(machine.deadlinePassed(now: 11.5, graceEnding: graceOver) == [.askElsewhere])
        #expect(machine.elsewhereAnswered(held: false, now: 11.6, graceEnding: graceOver) == [.cancelUpstream, .finish(graceOver)])
    }

    @Test func anAnswerAfterTheReaderCameBackIsIgnored() {
        let machine = streaming(.ticket)
        machine.readersElsewhere = true
        _ = machine.readerLeft(now: 0, ending: gone)
        _ = machine.deadlinePassed(now: Self.grace, graceEnding: graceOver)
        _ = machine.readerArrives(resuming: true, caughtUp: false, replayAvailable: true)
        #expect(machine.elsewhereAnswered(held: false, now: 11, graceEnding: graceOver) == [])
        #expect(!machine.isFinished)
    }

    @Test func failoverOnlyBeforeTheFirstFrame() {
        let failure = StreamEvent.relayError(code: "11200", message: "licence")
        let early = streaming(.direct)
        #expect(early.upstreamEnded(failure, canFailOver: true, now: 1) == [.failOver, .acquireCredential])
        #expect(early.phase == .acquiring)
        #expect(early.credentialLeased() == [.openUpstream])
        #expect(early.upstreamEnded(failure, canFailOver: false, now: 2) == [.finish(failure)])

        let late = streaming(.direct)
        _ = late.frameReceived()
        #expect(late.upstreamEnded(failure, canFailOver: true, now: 1) == [.finish(failure)])
    }

    @Test func aCredentialLeasedAfterTheEndIsGivenBack() {
        let machine = lifecycle(.ticket)
        _ = machine.readerArrives(resuming: false, caughtUp: false, replayAvailable: true)
        _ = machine.readerLeft(now: 0, ending: gone)
        #expect(machine.deadlinePassed(now: Self.grace, graceEnding: graceOver) == [.cancelUpstream, .finish(graceOver)])
        #expect(machine.credentialLeased() == [.returnCredential])
    }

    @Test func noCredentialEndsTheStream() {
        let busy = StreamEvent.relayError(code: "upstream_busy", message: "busy")
        let machine = lifecycle(.direct)
        _ = machine.readerArrives(resuming: false, caughtUp: false, replayAvailable: true)
        #expect(machine.credentialUnavailable(now: 1, ending: busy) == [.finish(busy)])
    }

    @Test func backPressurePausesAndResumesTheUpstream() {
        let machine = streaming(.ticket)
        #expect(machine.readerBlocked(true) == [.pauseUpstream])
        #expect(machine.readerBlocked(true) == [])
        #expect(machine.readerBlocked(false) == [.resumeUpstream])
        _ = machine.readerBlocked(true)
        // A paused ticket stream whose reader leaves reads on (the replay buffer holds what comes).
        #expect(machine.readerLeft(now: 0, ending: gone) == [.resumeUpstream])
        #expect(machine.readerBlocked(false) == [])
    }

    @Test func readerVerdicts() {
        let machine = streaming(.ticket)
        #expect(machine.readerArrives(resuming: false, caughtUp: false, replayAvailable: true) == .conflict)
        #expect(machine.readerArrives(resuming: true, caughtUp: false, replayAvailable: false) == .replayUnavailable)
        #expect(machine.readerArrives(resuming: true, caughtUp: false, replayAvailable: true)
                == .attach(keep: true, actions: [.endPreviousReader]))
        _ = machine.readerBlocked(true)
        #expect(machine.readerArrives(resuming: true, caughtUp: true, replayAvailable: true)
                == .attach(keep: true, actions: [.endPreviousReader, .resumeUpstream]))
    }

    @Test func aFullReplayBufferWithoutAReaderEndsTheStream() {
        let full = StreamEvent.relayError(code: "replay_buffer_full", message: "full")
        let machine = streaming(.ticket)
        _ = machine.readerLeft(now: 0, ending: gone)
        #expect(machine.replayBufferRefused(now: 1, ending: full) == [.cancelUpstream, .finish(full)])
        #expect(machine.replayBufferRefused(now: 2, ending: full) == [])
    }
}

/// The lifecycle behind a reference, so that `#expect` (which captures its operands in closures)
/// can call its mutating events.
@dynamicMemberLookup
private final class Machine {
    private(set) var lifecycle: ChatStreamLifecycle

    init(_ lifecycle: ChatStreamLifecycle) {
        self.lifecycle = lifecycle
    }

    subscript<Value>(dynamicMember path: KeyPath<ChatStreamLifecycle, Value>) -> Value { lifecycle[keyPath: path] }

    var readersElsewhere: Bool {
        get { lifecycle.readersElsewhere }
        set { lifecycle.readersElsewhere = newValue }
    }

    func ticketMade(ttl: Double, now: Double) { lifecycle.ticketMade(ttl: ttl, now: now) }
    func readerArrives(resuming: Bool, caughtUp: Bool, replayAvailable: Bool) -> ChatStreamLifecycle.ReaderVerdict {
        lifecycle.readerArrives(resuming: resuming, caughtUp: caughtUp, replayAvailable: replayAvailable)
    }
    func readerLeft(now: Double, ending: StreamEvent) -> [ChatStreamLifecycle.Action] { lifecycle.readerLeft(now: now, ending: ending) }
    func readerBlocked(_ blocked: Bool) -> [ChatStreamLifecycle.Action] { lifecycle.readerBlocked(blocked) }
    func credentialLeased() -> [ChatStreamLifecycle.Action] { lifecycle.credentialLeased() }
    func credentialUnavailable(now: Double, ending: StreamEvent) -> [ChatStreamLifecycle.Action] {
        lifecycle.credentialUnavailable(now: now, ending: ending)
    }
    func frameReceived() -> Bool { lifecycle.frameReceived() }
    func upstreamEnded(_ ending: StreamEvent, canFailOver: Bool, now: Double) -> [ChatStreamLifecycle.Action] {
        lifecycle.upstreamEnded(ending, canFailOver: canFailOver, now: now)
    }
    func replayBufferRefused(now: Double, ending: StreamEvent) -> [ChatStreamLifecycle.Action] {
        lifecycle.replayBufferRefused(now: now, ending: ending)
    }
    func deadlinePassed(now: Double, graceEnding: StreamEvent) -> [ChatStreamLifecycle.Action] {
        lifecycle.deadlinePassed(now: now, graceEnding: graceEnding)
    }
    func elsewhereAnswered(held: Bool, now: Double, graceEnding: StreamEvent) -> [ChatStreamLifecycle.Action] {
        lifecycle.elsewhereAnswered(held: held, now: now, graceEnding: graceEnding)
    }
}
