import Glibc
import SparkCodec
import Synchronization

/// The `Date` response header value (RFC 9110 §6.6.1), formatted at most once per second.
enum HTTPDateCache {
    private static let cache = Mutex<(second: Int, value: String)>((-1, ""))

    static func now() -> String {
        let second = Int(time(nil))
        return cache.withLock { entry in
            if entry.second != second { entry = (second, HTTPDate.format(UnixTime(secondsSince1970: Double(second)))) }
            return entry.value
        }
    }
}
