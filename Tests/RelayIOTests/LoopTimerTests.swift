import Dispatch
import Foundation
import RelayIO
import Testing

/// One-shot loop timers, kept by the loop's poller (epoll's timeout is the earliest deadline).
@Suite struct LoopTimerTests {
    /// Records which timers ran, in order, and when.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [(String, UInt64)] = []
        let ran = DispatchSemaphore(value: 0)
        func hit(_ name: String) {
            lock.withLock { entries.append((name, DispatchTime.now().uptimeNanoseconds)) }
            ran.signal()
        }
        var names: [String] { lock.withLock { entries.map(\.0) } }
        func time(of name: String) -> UInt64? { lock.withLock { entries.first { $0.0 == name }?.1 } }
    }

    private func onLoop(_ loop: EventLoop, _ work: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        loop.execute { work(); done.signal() }
        done.wait()
    }

    @Test func timersRunInDeadlineOrderOnTheLoop() {
        let loop = EventLoop(index: 0, label: "loop-timer-test")
        let log = Log()
        onLoop(loop) {
            for (name, delay) in [("c", 0.09), ("a", 0.03), ("b", 0.06), ("a2", 0.03)] {
                loop.schedule(after: delay) {
                    #expect(loop.inEventLoop)
                    log.hit(name)
                }
            }
        }
        for _ in 0..<4 { #expect(log.ran.wait(timeout: .now() + 5) == .success) }
        #expect(log.names == ["a", "a2", "b", "c"])
    }

    @Test func aShortTimerScheduledWhileTheLoopSleepsOnALongOneRunsOnTime() {
        let loop = EventLoop(index: 0, label: "loop-timer-test")
        let log = Log()
        let start = DispatchTime.now().uptimeNanoseconds
        onLoop(loop) { loop.schedule(after: 30) { log.hit("long") } }
        // The poll thread now sleeps towards the 30 s deadline; an earlier one must wake it.
        onLoop(loop) { loop.schedule(after: 0.05) { log.hit("short") } }
        #expect(log.ran.wait(timeout: .now() + 5) == .success)
        let elapsed = log.time(of: "short")! - start
        #expect(elapsed >= 50_000_000 && elapsed < 3_000_000_000)
        #expect(log.names == ["short"])
    }

    @Test func cancelledTimersNeverRunAndOffLoopSchedulingWorks() {
        let loop = EventLoop(index: 0, label: "loop-timer-test")
        let log = Log()
        nonisolated(unsafe) var cancelled: LoopTimer?
        onLoop(loop) {
            cancelled = loop.schedule(after: 0.05) { log.hit("cancelled") }
            #expect(cancelled?.isActive == true)
        }
        onLoop(loop) {
            cancelled?.cancel()
            cancelled?.cancel()  // idempotent
            #expect(cancelled?.isActive == false)
        }
        // Made off the loop: armed on the loop, still runs there.
        let offLoop = loop.schedule(after: 0.02) { log.hit("off-loop") }
        #expect(log.ran.wait(timeout: .now() + 5) == .success)
        #expect(log.ran.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(log.names == ["off-loop"])
        onLoop(loop) { #expect(!offLoop.isActive) }
    }

    @Test func manyTimersAllRunOnce() {
        let loop = EventLoop(index: 0, label: "loop-timer-test")
        let log = Log()
        let count = 2_000
        onLoop(loop) {
            var generator = SystemRandomNumberGenerator()
            for index in 0..<count {
                let timer = loop.schedule(after: Double.random(in: 0...0.2, using: &generator)) { log.hit("\(index)") }
                if index % 4 == 0 { timer.cancel() }
            }
        }
        for _ in 0..<(count - count / 4) { #expect(log.ran.wait(timeout: .now() + 10) == .success) }
        #expect(log.ran.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(Set(log.names).count == count - count / 4)
        #expect(log.names.allSatisfy { Int($0)! % 4 != 0 })
    }
}
