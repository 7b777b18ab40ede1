/// Lexical rules shared by the encoder and the decoder, so both accept exactly the same values.
enum RESPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let crlf: [UInt8] = [0x0D, 0x0A]

    /// An optional `+`/`-` followed by one or more ASCII digits.
    static func isBigNumber(_ bytes: some Collection<UInt8>) -> Bool {
        var digits = bytes[...]
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            digits = digits.dropFirst()
        }
        return !digits.isEmpty && digits.allSatisfy(isDigit)
    }

    /// Exactly three printable ASCII bytes other than `:` (`txt`, `mkd`).
    static func isVerbatimFormat(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.count == 3 && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }

    /// `true` if `bytes` holds a CR or LF.
    static func hasLineBreak(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.contains { $0 == cr || $0 == lf }
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The wire form of a double: `inf`, `-inf`, `nan`, or Swift's shortest round-trip text, which
    /// fits the RESP3 grammar (`1.0`, `-2.5`, `1e+20`, `5e-324`).
    static func doubleText(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    /// Parses a RESP3 double line: `[+|-]digits[.digits][(e|E)[+|-]digits]`, or (any case, optional
    /// sign) `inf`, `infinity`, `nan`, `nan(chars)` as older Redis versions print them via libc.
    static func parseDouble(_ bytes: ArraySlice<UInt8>) -> Double? {
        var rest = bytes
        var negative = false
        if let first = rest.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        let lower = rest.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        if lower == Array("inf".utf8) || lower == Array("infinity".utf8) {
            return negative ? -.infinity : .infinity
        }
        if lower.starts(with: "nan".utf8) {
            let tail = lower.dropFirst(3)
            if tail.isEmpty { return .nan }
            guard tail.first == UInt8(ascii: "("), tail.last == UInt8(ascii: ")"), tail.count >= 2,
                  tail.dropFirst().dropLast().allSatisfy({ isDigit($0) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "_") })
            else { return nil }
            return .nan
        }
        // Validate the grammar ourselves: Double(String) also takes hex floats and other forms.
        var index = rest.startIndex
        func digits() -> Int {
            let start = index
            while index < rest.endIndex, isDigit(rest[index]) { index += 1 }
            return index - start
        }
        guard digits() > 0 else { return nil }
        if index < rest.endIndex, rest[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return nil }
        }
        if index < rest.endIndex, rest[index] == UInt8(ascii: "e") || rest[index] == UInt8(ascii: "E") {
            index += 1
            if index < rest.endIndex, rest[index] == UInt8(ascii: "+") || rest[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return nil }
        }
        guard index == rest.endIndex else { return nil }
        guard let magnitude = Double(String(decoding: rest, as: UTF8.self)) else { return nil }
        return negative ? -magnitude : magnitude
    }
}
