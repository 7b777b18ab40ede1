import Testing
import RelayIO
#if canImport(Glibc)
import Glibc
#endif

/// The pause schedule after failed `accept` calls (Config/README.md, "Operating the relay", file descriptors).
@Suite struct AcceptBackoffTests {
    @Test func resourceErrorsPauseFrom5msDoublingTo1sAndASuccessResets() {
        var backoff = AcceptBackoff()
        var delays: [Double] = []
        for _ in 0..<10 {
            guard case .pause(let delay) = backoff.failed(errnoCode: EMFILE) else { Issue.record("EMFILE must pause"); return }
            delays.append(delay)
        }
        #expect(delays == [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0])
        backoff.succeeded()
        #expect(backoff.failed(errnoCode: ENFILE) == .pause(0.005))
        #expect(backoff.failed(errnoCode: ENOBUFS) == .pause(0.01))
        #expect(backoff.failed(errnoCode: ENOMEM) == .pause(0.02))
        for code in [EMFILE, ENFILE, ENOBUFS, ENOMEM] { #expect(AcceptBackoff.isResourceExhaustion(code)) }
        #expect(!AcceptBackoff.isResourceExhaustion(ECONNABORTED))
    }

    @Test func errorsOfOneQueuedConnectionAreSkippedWithoutPausing() {
        var backoff = AcceptBackoff()
        #expect(backoff.failed(errnoCode: ECONNABORTED) == .skip)
        #expect(backoff.failed(errnoCode: EPROTO) == .skip)
        #expect(backoff.upcomingDelay == AcceptBackoff.initialDelay)
        // Anything unknown backs off too: a level-triggered source would otherwise spin on it.
        #expect(backoff.failed(errnoCode: EBADF) == .pause(0.005))
    }

    @Test func theFileDescriptorLimitIsReadAndRaisedNoFurtherThanTheHardLimit() throws {
        let before = try #require(FileDescriptorLimit.current())
        let raised = try #require(FileDescriptorLimit.raiseToHardLimit())
        #expect(raised.previousSoft == before.soft)
        #expect(raised.soft >= before.soft)
        #expect(raised.soft <= raised.hard)
        if raised.raiseError == nil { #expect(FileDescriptorLimit.current()?.soft == raised.soft) }
    }
}
