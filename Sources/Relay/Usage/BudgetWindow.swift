import Glibc
import SparkCodec

/// The current period of a budget: when it started, when it resets, and a label that names it
/// (`2026-12-07`, `2026-12`, `total`). Computed from the wall clock and a fixed UTC offset, so a
/// relay in any time zone agrees with the operator's calendar (Spark's users set `+08:00`).
struct BudgetWindow: Sendable, Equatable {
    var label: String
    var start: UnixTime
    /// `nil` for `total`.
    var end: UnixTime?

    /// The window of `period` that contains `now`, with days starting at midnight `offsetSeconds`
    /// east of UTC.
    static func containing(_ now: UnixTime, period: KeyBudget.Period, offsetSeconds: Int) -> BudgetWindow {
        guard period != .total else { return BudgetWindow(label: "total", start: UnixTime(secondsSince1970: 0), end: nil) }
        let local = Int(now.secondsSince1970.rounded(.down)) + offsetSeconds
        var seconds = local
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        let month = Int(parts.tm_mon) + 1
        let day = Int(parts.tm_mday)
        func epoch(_ year: Int, _ month: Int, _ day: Int) -> Double {
            var fields = tm()
            fields.tm_year = Int32(year - 1900)
            fields.tm_mon = Int32(month - 1)
            fields.tm_mday = Int32(day)
            return Double(timegm(&fields) - offsetSeconds)
        }
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch period {
        case .day:
            let start = epoch(year, month, day)
            return BudgetWindow(label: "\(year)-\(two(month))-\(two(day))", start: UnixTime(secondsSince1970: start),
                                end: UnixTime(secondsSince1970: epoch(year, month, day + 1)))
        case .month:
            return BudgetWindow(label: "\(year)-\(two(month))", start: UnixTime(secondsSince1970: epoch(year, month, 1)),
                                end: UnixTime(secondsSince1970: epoch(year, month + 1, 1)))
        case .total:
            fatalError("handled above")
        }
    }

    /// `2026-12-08T00:00:00+08:00`: a moment in the offset's local time, as people read it.
    static func localTimestamp(_ time: UnixTime, offsetSeconds: Int) -> String {
        var seconds = Int(time.secondsSince1970.rounded(.down)) + offsetSeconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
            + offsetText(offsetSeconds)
    }

    /// `+08:00`, `-05:30`, `+00:00`.
    static func offsetText(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        let hours = minutes / 60
        let rest = minutes % 60
        return "\(sign)\(hours < 10 ? "0" : "")\(hours):\(rest < 10 ? "0" : "")\(rest)"
    }

    /// Seconds east of UTC for `+HH:MM` / `-HH:MM` (hours 0–14, minutes 0–59); `nil` otherwise.
    static func parseOffset(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"), bytes[3] == UInt8(ascii: ":"),
              [1, 2, 4, 5].allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else { return nil }
        let hours = Int(bytes[1] - 0x30) * 10 + Int(bytes[2] - 0x30)
        let minutes = Int(bytes[4] - 0x30) * 10 + Int(bytes[5] - 0x30)
        guard hours <= 14, minutes <= 59 else { return nil }
        let seconds = (hours * 60 + minutes) * 60
        return bytes[0] == UInt8(ascii: "-") ? -seconds : seconds
    }
}
