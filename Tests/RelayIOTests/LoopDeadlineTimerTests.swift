import Dispatch
import Foundation
import RelayIO
import Testing

/// The re-armable deadline timer behind the idle timeout and the SSE heartbeat.
@Suite struct LoopDeadlineTimerTests {
    /// Counts firings and signals a semaphore for each, from the loop.
    final class Probe: @unchecked Sendable {
        let fired = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var count = 0
        private var times: [UInt64] = []
        func hit() {
            lock.lock()
            count += 1
            times.append(DispatchTime.now().uptimeNanoseconds)
            lock.unlock()
            fired.signal()
        }
        var firings: Int { lock.withLock { count } }
        var lastFiring: UInt64? { lock.withLock { times.last } }
    }

    /// Holds the timer so that it lives as long as the test.
    final class Holder: @unchecked Sendable {
        var timer: LoopDeadlineTimer?
    }

    /// Runs `work` on the loop and waits for it.
    private func onLoop(_ loop: EventLoop, _ work: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        loop.execute { work(); done.signal() }
        done.wait()
    }

    @Test func firesOnceAfterTheDeadline() {
        let loop = EventLoop(index: 0, label: "timer-test")
        let probe = Probe()
        let holder = Holder()
        let start = DispatchTime.now().uptimeNanoseconds
        onLoop(loop) {
            holder.timer = LoopDeadlineTimer(loop: loop) { probe.hit() }
            holder.timer?.arm(after: 0.05)
            #expect(holder.timer?.isArmed == true)
        }
        #expect(probe.fired.wait(timeout: .now() + 5) == .success)
        #expect(probe.lastFiring! - start >= 50_000_000)
        // Not again: a firing disarms it.
        #expect(probe.fired.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(probe.firings == 1)
        onLoop(loop) { #expect(holder.timer?.isArmed == false) }
    }

    @Test func armingAgainPostponesTheDeadline() {
        let loop = EventLoop(index: 0, label: "timer-test")
        let probe = Probe()
        let holder = Holder()
        let start = DispatchTime.now().uptimeNanoseconds
        onLoop(loop) {
            holder.timer = LoopDeadlineTimer(loop: loop) { probe.hit() }
            holder.timer?.arm(after: 0.1)
        }
        // Keep touching it for 0.3 s, every 20 ms: it must not fire meanwhile.
        let touched = DispatchSemaphore(value: 0)
        for _ in 0..<15 {
            _ = touched.wait(timeout: .now() + 0.02)
            onLoop(loop) { holder.timer?.arm(after: 0.1) }
        }
        let lastTouch = DispatchTime.now().uptimeNanoseconds
        #expect(probe.firings == 0)
        #expect(probe.fired.wait(timeout: .now() + 5) == .success)
        let firedAt = probe.lastFiring!
        #expect(firedAt - start >= 300_000_000)
        #expect(firedAt - lastTouch >= 90_000_000)
        #expect(probe.fired.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(probe.firings == 1)
    }

    @Test func anEarlierDeadlineIsHonoured() {
        let loop = EventLoop(index: 0, label: "timer-test")
        let probe = Probe()
        let holder = Holder()
        let start = DispatchTime.now().uptimeNanoseconds
        onLoop(loop) {
            holder.timer = LoopDeadlineTimer(loop: loop) { probe.hit() }
            holder.timer?.arm(after: 30)
            holder.timer?.arm(after: 0.05)
        }
        #expect(probe.fired.wait(timeout: .now() + 5) == .success)
        #expect(probe.lastFiring! - start < 10_000_000_000)
    }

    @Test func cancelAndDisarmStopIt() {
        let loop = EventLoop(index: 0, label: "timer-test")
        let probe = Probe()
        let cancelled = Holder()
        let disarmed = Holder()
        onLoop(loop) {
            cancelled.timer = LoopDeadlineTimer(loop: loop) { probe.hit() }
            cancelled.timer?.arm(after: 0.05)
            cancelled.timer?.cancel()
            cancelled.timer?.arm(after: 0.05)  // ignored after cancel
            disarmed.timer = LoopDeadlineTimer(loop: loop) { probe.hit() }
            disarmed.timer?.arm(after: 0.05)
            disarmed.timer?.disarm()
        }
        #expect(probe.fired.wait(timeout: .now() + 0.4) == .timedOut)
        #expect(probe.firings == 0)
        // A disarmed timer can be armed again.
        onLoop(loop) { disarmed.timer?.arm(after: 0.02) }
        #expect(probe.fired.wait(timeout: .now() + 5) == .success)
        #expect(probe.firings == 1)
    }

    @Test func rearmingFromItsOwnWorkFiresAgain() {
        let loop = EventLoop(index: 0, label: "timer-test")
        let probe = Probe()
        let holder = Holder()
        onLoop(loop) {
            holder.timer = LoopDeadlineTimer(loop: loop) {
                probe.hit()
                if probe.firings < 3 { holder.timer?.arm(after: 0.01) }
            }
            holder.timer?.arm(after: 0.01)
        }
        for _ in 0..<3 { #expect(probe.fired.wait(timeout: .now() + 5) == .success) }
        #expect(probe.fired.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(probe.firings == 3)
    }

    @Test func droppingTheTimerStopsIt() {
        let loop = EventLoop(index: 0, label: "timer-test")
        let probe = Probe()
        onLoop(loop) {
            let timer = LoopDeadlineTimer(loop: loop) { probe.hit() }
            timer.arm(after: 0.02)
        }
        #expect(probe.fired.wait(timeout: .now() + 0.3) == .timedOut)
    }
}
