import Glibc

/// A moment of wall-clock time as seconds since 1970-01-01 00:00:00 UTC: what Spark's signed `date`
/// and HTTP `Date` headers carry. The server targets use it in place of Foundation's `Date` because
/// they do not link Foundation (it costs several MiB of resident memory in every process).
public struct UnixTime: Hashable, Comparable, Sendable {
    /// Seconds since the epoch, fractional; negative before 1970.
    public var secondsSince1970: Double

    /// The moment `secondsSince1970` seconds after the epoch.
    public init(secondsSince1970: Double) {
        self.secondsSince1970 = secondsSince1970
    }

    /// The system's wall clock now (`CLOCK_REALTIME`).
    public static func now() -> UnixTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UnixTime(secondsSince1970: Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000)
    }

    /// Whole seconds since the epoch, rounded towards the past.
    public var wholeSeconds: Int {
        Int(secondsSince1970.rounded(.down))
    }

    /// Seconds from `other` to this moment (negative when this one is earlier).
    public func seconds(since other: UnixTime) -> Double {
        secondsSince1970 - other.secondsSince1970
    }

    /// The moment `seconds` later (earlier when negative).
    public func adding(seconds: Double) -> UnixTime {
        UnixTime(secondsSince1970: secondsSince1970 + seconds)
    }

    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool {
        lhs.secondsSince1970 < rhs.secondsSince1970
    }
}
