import Glibc
import JSON
import SparkCodec

/// Rebuilds the budgets' current periods at start from the end of the usage file (and its rotated
/// generations, newest first): bounded by `maxBytes`, skipping records outside the current periods
/// and lines that do not parse (a torn last line after a crash).
enum UsageFileTail {
    struct Restored: Sendable, Equatable {
        var records = 0
        var bytesRead = 0
    }

    static func restore(path: String, into ledger: MemoryBudgetLedger, maxBytes: Int, generations: Int = 16) -> Restored {
        var restored = Restored()
        var files = [path]
        for generation in 1...max(1, generations) { files.append("\(path).\(generation)") }
        for file in files {
            let remaining = maxBytes - restored.bytesRead
            guard remaining > 0, let bytes = tail(of: file, maxBytes: remaining) else { break }
            restored.bytesRead += bytes.count
            var lineStart = bytes.startIndex
            var olderThanEveryPeriod = true
            for index in bytes.indices where bytes[index] == 0x0A {
                let line = bytes[lineStart..<index]
                lineStart = index + 1
                guard let record = parse(Array(line)) else { continue }
                if ledger.isCurrent(key: record.key, at: record.time) { olderThanEveryPeriod = false }
                ledger.restore(key: record.key, model: record.model, tokens: record.tokens, at: record.time)
                restored.records += 1
            }
            // A rotated generation whose records are all older than the current periods ends the search.
            if file != path && olderThanEveryPeriod { break }
        }
        return restored
    }

    /// The key, model, tokens and time of one usage line; `nil` for lines without a key.
    static func parse(_ line: [UInt8]) -> (key: String, model: String, tokens: Int, time: UnixTime)? {
        guard let value = try? JSONScanner.parse(line), let key = value["key"]?.stringValue,
              let model = value["model"]?.stringValue, let tokens = value["total_tokens"]?.intValue,
              let timeText = value["time"]?.stringValue, let time = parseTimestamp(timeText) else { return nil }
        return (key, model, tokens, time)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (what `UsageRecord` writes) as seconds since 1970.
    static func parseTimestamp(_ text: String) -> UnixTime? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A,
              bytes[19] == 0x2E, bytes[23] == 0x5A else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (0x30...0x39).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), let millisecond = number(20..<23) else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        return UnixTime(secondsSince1970: Double(timegm(&fields)) + Double(millisecond) / 1000)
    }

    /// The last `maxBytes` of `path` from the start of a line; `nil` when it cannot be read.
    static func tail(of path: String, maxBytes: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let size = Int(status.st_size)
        let start = max(0, size - maxBytes)
        let length = size - start
        var bytes = [UInt8](repeating: 0, count: length)
        var offset = 0
        while offset < length {
            let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + offset, length - offset, off_t(start + offset)) }
            guard count > 0 else { break }
            offset += count
        }
        bytes.removeLast(bytes.count - offset)
        if start > 0, let firstBreak = bytes.firstIndex(of: 0x0A) {
            bytes.removeFirst(firstBreak + 1)  // a partial first line
        }
        return bytes
    }
}
