import Glibc

/// RFC 1123 dates as Spark's signed URL carries them: IMF-fixdate (RFC 9110 §5.6.7), always GMT,
/// English names, zero-padded day: `Fri, 05 May 2023 10:43:39 GMT`. Built on `gmtime_r`/`timegm`
/// (thread-safe, no locale, no `DateFormatter`).
public enum HTTPDate {
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats `date` (fractional seconds truncated towards the past) as IMF-fixdate in GMT. Dates
    /// outside years 1...9999 (and non-finite ones) are clamped into that range.
    public static func format(_ date: UnixTime) -> String {
        let interval = date.secondsSince1970
        let clamped = interval.isNaN ? 0 : min(max(interval, -62_135_596_800), 253_402_300_799)
        var seconds = time_t(clamped.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let weekday = dayNames[Int(parts.tm_wday)]
        let month = monthNames[Int(parts.tm_mon)]
        let year = Int(parts.tm_year) + 1900
        return "\(weekday), \(pad2(Int(parts.tm_mday))) \(month) \(pad4(year)) "
            + "\(pad2(Int(parts.tm_hour))):\(pad2(Int(parts.tm_min))):\(pad2(Int(parts.tm_sec))) GMT"
    }

    /// Parses IMF-fixdate, also with the `UTC` zone name that Go's `time.RFC1123` and Java's
    /// `SimpleDateFormat` print. Strict otherwise: exact field widths and separators, English names,
    /// a real calendar date, a weekday that matches it, no leap second. `nil` on anything else.
    public static func parse(_ string: String) -> UnixTime? {
        let bytes = Array(string.utf8)
        // "Www, DD Mon YYYY HH:MM:SS GMT" is exactly 29 bytes.
        guard bytes.count == 29,
              bytes[3] == UInt8(ascii: ","), bytes[4] == 0x20, bytes[7] == 0x20, bytes[11] == 0x20,
              bytes[16] == 0x20, bytes[19] == UInt8(ascii: ":"), bytes[22] == UInt8(ascii: ":"), bytes[25] == 0x20
        else { return nil }
        let zone = String(decoding: bytes[26..<29], as: UTF8.self)
        guard zone == "GMT" || zone == "UTC" else { return nil }
        guard let weekday = dayNames.firstIndex(of: String(decoding: bytes[0..<3], as: UTF8.self)),
              let month = monthNames.firstIndex(of: String(decoding: bytes[8..<11], as: UTF8.self)),
              let day = digits(bytes[5..<7]), let year = digits(bytes[12..<16]),
              let hour = digits(bytes[17..<19]), let minute = digits(bytes[20..<22]), let second = digits(bytes[23..<25])
        else { return nil }
        guard day >= 1, day <= daysIn(month: month + 1, year: year), hour <= 23, minute <= 59, second <= 59 else {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        guard Int(parts.tm_wday) == weekday else { return nil }
        return UnixTime(secondsSince1970: Double(seconds))
    }

    private static func digits(_ slice: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in slice {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func pad2(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private static func pad4(_ value: Int) -> String {
        let text = String(value)
        return text.count >= 4 ? text : String(repeating: "0", count: 4 - text.count) + text
    }
}
