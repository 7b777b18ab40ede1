import Foundation

/// Clocks the bench uses: CLOCK_REALTIME in ns (the simulator's stamps use the same clock, same host)
/// and CLOCK_MONOTONIC seconds for durations.
public enum WallClock {
    /// Unix time in nanoseconds (CLOCK_REALTIME).
    @inline(__always)
    public static func realtimeNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Monotonic seconds.
    @inline(__always)
    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
