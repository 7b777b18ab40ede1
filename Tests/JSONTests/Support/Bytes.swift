extension Array where Element == UInt8 {
    /// The bytes as text (invalid UTF-8 repaired), for comparisons and failure messages.
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}
