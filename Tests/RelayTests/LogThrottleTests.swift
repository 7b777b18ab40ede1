import Testing
@testable import Relay

@Suite struct LogThrottleTests {
    @Test func atMostOneLinePerIntervalCarryingTheCountHeldBack() {
        var throttle = LogThrottle(interval: 1)
        #expect(throttle.record(now: 10.0) == 1)
        #expect(throttle.record(now: 10.1) == nil)
        #expect(throttle.record(now: 10.5) == nil)
        #expect(throttle.record(now: 10.99) == nil)
        #expect(throttle.record(now: 11.0) == 4)
        #expect(throttle.record(now: 20.0) == 1)
    }
}
