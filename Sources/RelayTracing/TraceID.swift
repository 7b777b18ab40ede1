import RelayCrypto

/// A W3C trace id: 16 bytes, written as 32 lowercase hex digits; all zero is the invalid id.
public struct TraceID: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian (what ratio sampling draws on).
    public var low: UInt64

    /// The id made of these two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses 32 lowercase hex digits; `nil` for any other text and for the all-zero id.
    public init?(hex: some StringProtocol) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 32, let high = LowercaseHex.parse(bytes[0..<16]), let low = LowercaseHex.parse(bytes[16..<32]),
              high != 0 || low != 0 else { return nil }
        self.init(high: high, low: low)
    }

    /// A fresh id from the kernel's CSPRNG (never the all-zero id).
    public static func random() -> TraceID {
        while true {
            var halves: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &halves) { SecureRandom.fill($0) }
            let id = TraceID(high: halves.0, low: halves.1)
            if id.isValid { return id }
        }
    }

    /// `false` for the all-zero id, which W3C Trace Context forbids.
    public var isValid: Bool { high != 0 || low != 0 }

    /// 32 lowercase hex digits.
    public var hexString: String {
        var out = [UInt8]()
        out.reserveCapacity(32)
        appendHex(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the 32 hex digits to `out`.
    func appendHex(to out: inout [UInt8]) {
        LowercaseHex.append(high, width: 16, to: &out)
        LowercaseHex.append(low, width: 16, to: &out)
    }

    public var description: String { hexString }
}
