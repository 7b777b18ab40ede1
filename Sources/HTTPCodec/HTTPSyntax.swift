/// Byte classes from RFC 9110 §5.6 / RFC 3986 used by the parsers and encoders.
enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let crlf: [UInt8] = [0x0D, 0x0A]

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static let tcharTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { table[Int(c)] = true }
        return table
    }()

    /// Characters allowed in a request-target (RFC 3986 unreserved / reserved minus "#" / "%").
    private static let targetTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = true }
        for c in "-._~!$&'()*+,;=:@/?%[]".utf8 { table[Int(c)] = true }
        return table
    }()

    @inline(__always) static func isTChar(_ b: UInt8) -> Bool { tcharTable[Int(b)] }
    @inline(__always) static func isTargetChar(_ b: UInt8) -> Bool { targetTable[Int(b)] }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }
    @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool { hexValue(b) != nil }
    /// CTL other than HTAB, or DEL (RFC 9110 §5.5 field-value excludes them).
    @inline(__always) static func isForbiddenInValue(_ b: UInt8) -> Bool { (b < 0x20 && b != htab) || b == 0x7F }

    @inline(__always) static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }

    static func isToken<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTChar)
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    /// ASCII case-insensitive equality without allocating.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        let left = a.utf8
        let right = b.utf8
        guard left.count == right.count else { return false }
        let compared = left.withContiguousStorageIfAvailable { l in
            right.withContiguousStorageIfAvailable { r in
                for index in 0..<l.count where l[index] != r[index] && lower(l[index]) != lower(r[index]) { return false }
                return true
            }
        }
        if let compared, let compared { return compared }
        return zip(left, right).allSatisfy { lower($0) == lower($1) }
    }

    /// Trims SP / HTAB at both ends (OWS, RFC 9110 §5.6.3).
    static func trimOWS(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = bytes.startIndex
        var hi = bytes.endIndex
        while lo < hi, isWhitespace(bytes[lo]) { lo += 1 }
        while hi > lo, isWhitespace(bytes[hi - 1]) { hi -= 1 }
        return bytes[lo..<hi]
    }

    /// A printable, truncated rendering of input for error messages (never more than `limit` bytes of input).
    static func snippet<C: Collection<UInt8>>(_ bytes: C, limit: Int = 48) -> String {
        var out = ""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x20...0x7E where b != 0x5C && b != 0x22: out.unicodeScalars.append(Unicode.Scalar(b))
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            default:
                let hex = String(b, radix: 16, uppercase: true)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        if bytes.count > limit { out += "…" }
        return "\"" + out + "\""
    }
}
