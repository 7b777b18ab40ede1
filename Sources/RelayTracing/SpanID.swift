import RelayCrypto

/// A W3C span id (the `parent-id` of a `traceparent`): 8 bytes, written as 16 lowercase hex
/// digits; all zero is the invalid id.
public struct SpanID: Hashable, Sendable, CustomStringConvertible {
    /// The 8 bytes, big-endian.
    public var value: UInt64

    /// The id with these bytes.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses 16 lowercase hex digits; `nil` for any other text and for the all-zero id.
    public init?(hex: some StringProtocol) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 16, let value = LowercaseHex.parse(bytes[...]), value != 0 else { return nil }
        self.init(value)
    }

    /// A fresh id from the kernel's CSPRNG (never the all-zero id).
    public static func random() -> SpanID {
        while true {
            var value: UInt64 = 0
            withUnsafeMutableBytes(of: &value) { SecureRandom.fill($0) }
            if value != 0 { return SpanID(value) }
        }
    }

    /// `false` for the all-zero id, which W3C Trace Context forbids.
    public var isValid: Bool { value != 0 }

    /// 16 lowercase hex digits.
    public var hexString: String {
        var out = [UInt8]()
        out.reserveCapacity(16)
        appendHex(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the 16 hex digits to `out`.
    func appendHex(to out: inout [UInt8]) {
        LowercaseHex.append(value, width: 16, to: &out)
    }

    public var description: String { hexString }
}
