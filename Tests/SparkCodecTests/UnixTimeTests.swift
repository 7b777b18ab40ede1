import Foundation
import Testing
import SparkCodec

/// `UnixTime` replaced `Date` in the server targets; it must read the same clock and do the same sums.
@Suite struct UnixTimeTests {
    @Test func nowIsTheSystemClock() {
        let before = Date().timeIntervalSince1970
        let now = UnixTime.now().secondsSince1970
        let after = Date().timeIntervalSince1970
        #expect(now >= before - 0.001 && now <= after + 0.001)
    }

    @Test func arithmeticAndOrdering() {
        let start = UnixTime(secondsSince1970: 1_683_283_419.75)
        #expect(start.wholeSeconds == 1_683_283_419)
        #expect(UnixTime(secondsSince1970: -0.5).wholeSeconds == -1)
        #expect(start.adding(seconds: 301).seconds(since: start) == 301)
        #expect(start.adding(seconds: -1) < start)
        #expect(start.seconds(since: start.adding(seconds: 2)) == -2)
    }
}
