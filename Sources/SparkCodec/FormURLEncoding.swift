/// `application/x-www-form-urlencoded` values as Python's `urllib.parse.quote_plus` writes them (and
/// iFlytek's doc and SDKs expect): `A-Z a-z 0-9 _ . - ~` kept, space → `+`, every other UTF-8 byte →
/// `%XX` with uppercase hex.
public enum FormURLEncoding {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// `true` for the bytes `quote_plus` leaves alone.
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// Encodes `string` (its UTF-8 bytes).
    public static func encode(_ string: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else if byte == 0x20 {
                out.append(UInt8(ascii: "+"))
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `+` to space and `%XX` (either hex case) to a byte; every other byte is kept. `nil` for a
    /// `%` not followed by two hex digits, or when the result is not valid UTF-8.
    public static func decode(_ string: String) -> String? {
        decode(string, plusIsSpace: true)
    }

    /// Decodes `%XX` (either hex case) in a URL path segment (RFC 3986 §2.1); `+` stays `+`. `nil` for
    /// a `%` not followed by two hex digits, or when the result is not valid UTF-8.
    public static func decodePathSegment(_ string: String) -> String? {
        decode(string, plusIsSpace: false)
    }

    private static func decode(_ string: String, plusIsSpace: Bool) -> String? {
        let input = Array(string.utf8)
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "+") && plusIsSpace {
                out.append(0x20)
                index += 1
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < input.count, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) else {
                    return nil
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Splits a query string (without the `?`) into decoded `(name, value)` pairs in order. Empty
    /// segments (`a=1&&b=2`) are skipped; a segment without `=` has an empty value. `nil` if any name or
    /// value fails to decode.
    public static func parseQuery(_ query: String) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        for segment in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let name: Substring.UTF8View.SubSequence
            let value: Substring.UTF8View.SubSequence
            if let equals = segment.firstIndex(of: UInt8(ascii: "=")) {
                name = segment[segment.startIndex..<equals]
                value = segment[segment.index(after: equals)...]
            } else {
                name = segment
                value = segment[segment.endIndex...]
            }
            guard let decodedName = decode(String(decoding: name, as: UTF8.self)),
                  let decodedValue = decode(String(decoding: value, as: UTF8.self))
            else { return nil }
            pairs.append((decodedName, decodedValue))
        }
        return pairs
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
