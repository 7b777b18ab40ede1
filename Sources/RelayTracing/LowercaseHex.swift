/// Lowercase hexadecimal digits as W3C Trace Context and OTLP/JSON write ids: parsing refuses
/// uppercase (the spec's `HEXDIGLC`), formatting pads to a fixed width.
enum LowercaseHex {
    /// The value of a lowercase hex digit, or `nil` for any other byte.
    @inline(__always)
    static func digit(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(byte - UInt8(ascii: "a") + 10)
        default: return nil
        }
    }

    /// The number written by `bytes` (at most 16 lowercase hex digits), or `nil`.
    static func parse(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard let digit = digit(byte) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// Appends `value` as exactly `width` lowercase hex digits (leading zeros kept).
    static func append(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        var shift = (width - 1) * 4
        while shift >= 0 {
            out.append(digits[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }
}
