/// The recursive-descent RFC 8259 parser behind `JSONScanner`. Visible to this package's targets
/// (for single-pass decoders such as the Spark frame fast path); elsewhere use `JSONScanner.parse`.
///
/// `skipWhitespace` runs between every two tokens of every Spark frame the fast path decodes: it is
/// public and `@inlinable` (with the fields it reads `@usableFromInline`) so that it inlines into
/// SparkCodec; `package` alone left it an out-of-line call per token (measured with callgrind).
public struct JSONParser {
    @usableFromInline package let bytes: [UInt8]
    package let maxDepth: Int
    @usableFromInline package var index = 0
    /// Reused buffer for decoding strings, so each string costs no extra allocation beyond its result.
    var scratch: [UInt8] = []
    /// `true` once any insignificant whitespace was skipped (the input is not already compact).
    @usableFromInline package var sawWhitespace = false

    package init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    @inlinable @inline(__always)
    public mutating func skipWhitespace() {
        // Compact input (the usual case) has no whitespace: one comparison.
        if index < bytes.count && bytes[index] > 0x20 { return }
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D:
                index += 1
                sawWhitespace = true
            default: return
            }
        }
    }

    func peek() throws(JSONScanError) -> UInt8 {
        guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
        return bytes[index]
    }

    package mutating func expect(_ literal: StaticString, value: JSONValue) throws(JSONScanError) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw JSONScanError(.unexpectedEnd, at: bytes.count) }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            throw JSONScanError(.unexpectedByte(bytes[index + offset]), at: index + offset)
        }
        index += count
        return value
    }

    mutating func parseValue(depth: Int) throws(JSONScanError) -> JSONValue {
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONScanError(.unexpectedByte(byte), at: index)
        }
    }

    mutating func parseObject(depth: Int) throws(JSONScanError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: index) }
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let quote = try peek()
            guard quote == UInt8(ascii: "\"") else { throw JSONScanError(.unexpectedByte(quote), at: index) }
            let key = try parseString()
            skipWhitespace()
            let colon = try peek()
            guard colon == UInt8(ascii: ":") else { throw JSONScanError(.unexpectedByte(colon), at: index) }
            index += 1
            skipWhitespace()
            let start = index
            let value = try parseValue(depth: depth)
            members.append(JSONMember(key: key, value: value, valueRange: start..<index))
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else { throw JSONScanError(.unexpectedByte(next), at: index - 1) }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONScanError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: index) }
        index += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try parseValue(depth: depth))
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { return .array(values) }
            guard next == UInt8(ascii: ",") else { throw JSONScanError(.unexpectedByte(next), at: index - 1) }
        }
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func parseNumber() throws(JSONScanError) -> JSONValue {
        let start = index
        _ = try scanNumber()
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // RFC 8259 §6 lets a parser limit the range of numbers. Numbers beyond a Double (1e400) are
        // refused: the relay forwards payloads verbatim, and its clients' JSON parsers (Foundation,
        // JavaScript) would reject or corrupt them. Underflow to zero is harmless and accepted.
        guard let value = Double(text), value.isFinite else { throw JSONScanError(.invalidNumber, at: start) }
        return .number(text)
    }

    /// A number validated like `parseNumber` (same grammar, same Double range) but not materialized.
    mutating func skipNumber() throws(JSONScanError) {
        let start = index
        let integerDigits = try scanNumber()
        // Without an exponent, at most 308 integer digits is below 1e308 < Double.greatestFiniteMagnitude.
        if integerDigits >= 0 && integerDigits <= 308 { return }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw JSONScanError(.invalidNumber, at: start) }
    }

    /// Moves past the number at `index` (grammar only); returns the count of integer digits, or -1 when
    /// the number has an exponent.
    package mutating func scanNumber() throws(JSONScanError) -> Int {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw JSONScanError(.invalidNumber, at: start) }
        let integerStart = index
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let integerDigits = index - integerStart
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw JSONScanError(.invalidNumber, at: start) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw JSONScanError(.invalidNumber, at: start) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            return -1
        }
        return integerDigits
    }

    /// RFC 8259 §7 strings; §8.1: the text MUST be UTF-8, so invalid UTF-8 and lone surrogate escapes are rejected.
    package mutating func parseString() throws(JSONScanError) -> String {
        let quote = index
        if let range = plainStringRange() {
            // No escape: the String is made from the literal's bytes where they are.
            let string = bytes.withUnsafeBufferPointer { Self.validatedString(UnsafeBufferPointer(rebasing: $0[range])) }
            guard let string else { throw JSONScanError(.invalidString, at: quote) }
            return string
        }
        let start = try scanString()
        guard let string = Self.validatedString(scratch) else {
            throw JSONScanError(.invalidString, at: start)
        }
        return string
    }

    /// The content of the string literal at `index` when it has no escape and no control byte (most
    /// literals), with `index` moved past its closing quote; `nil`, `index` unchanged, otherwise.
    mutating func plainStringRange() -> Range<Int>? {
        let start = index + 1
        let end: Int? = bytes.withUnsafeBufferPointer { buffer in
            var end = start
            let count = buffer.count
            while end < count {
                let byte = buffer[end]
                if byte == UInt8(ascii: "\"") { return end }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                end += 1
            }
            return nil
        }
        guard let end else { return nil }
        index = end + 1
        return start..<end
    }

    /// `validatedString` for bytes in place.
    static func validatedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var string = String(decoding: bytes, as: UTF8.self)
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 { return string }
        let unchanged = string.withUTF8 { decoded in decoded.count == bytes.count && decoded.elementsEqual(bytes) }
        return unchanged ? string : nil
    }

    /// `String(validating:as:)` without its generic path (which looks up buffer metadata per call, a
    /// cost on every string of every chunk): ASCII is taken as is; anything else is decoded and kept
    /// only if decoding replaced nothing, i.e. its UTF-8 is exactly the input.
    static func validatedString(_ bytes: [UInt8]) -> String? {
        var string = String(decoding: bytes, as: UTF8.self)
        if isASCII(bytes) { return string }
        let unchanged = string.withUTF8 { decoded in
            bytes.withUnsafeBufferPointer { input in decoded.count == input.count && decoded.elementsEqual(input) }
        }
        return unchanged ? string : nil
    }

    /// Whether `bytes` are well-formed UTF-8 (see `validatedString`).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 { return true }
        var string = String(decoding: bytes, as: UTF8.self)
        return string.withUTF8 { decoded in decoded.count == bytes.count && decoded.elementsEqual(bytes) }
    }

    /// The index of the wanted member named `name` (lengths first: a native String knows its UTF-8
    /// count, and most members are not wanted).
    static func wantedIndex(of name: UnsafeBufferPointer<UInt8>, in wanted: [(key: String, pick: JSONPick)]) -> Int? {
        wanted.firstIndex { entry in
            entry.key.utf8.count == name.count
                && (entry.key.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(name) } ?? entry.key.utf8.elementsEqual(name))
        }
    }

    /// Decodes the string literal at `index` into `scratch` (escapes resolved, UTF-8 not yet checked)
    /// and returns its start offset. Runs of plain bytes are copied at once.
    mutating func scanString() throws(JSONScanError) -> Int {
        let start = index
        index += 1
        scratch.removeAll(keepingCapacity: true)
        let count = bytes.count
        while true {
            let runStart = index
            while index < count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                index += 1
            }
            if index > runStart { scratch.append(contentsOf: bytes[runStart..<index]) }
            guard index < count else { throw JSONScanError(.unexpectedEnd, at: index) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return start
            case UInt8(ascii: "\\"):
                try parseEscape()
            default:
                throw JSONScanError(.invalidString, at: index)
            }
        }
    }

    /// A string literal validated like `parseString` but not materialized.
    mutating func skipString() throws(JSONScanError) {
        let start = try scanString()
        guard Self.isASCII(scratch) || Self.validatedString(scratch) != nil else {
            throw JSONScanError(.invalidString, at: start)
        }
    }

    /// `skipString` without filling `scratch`: a literal without escapes or control characters is
    /// validated where it is; any other goes through `skipString` (same errors at the same offsets).
    mutating func skipStringInPlace() throws(JSONScanError) {
        let start = index
        var end = index + 1
        var high: UInt8 = 0
        let count = bytes.count
        while end < count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                if high >= 0x80 {
                    let valid = bytes.withUnsafeBufferPointer { buffer in
                        Self.isValidUTF8(UnsafeBufferPointer(rebasing: buffer[(start + 1)..<end]))
                    }
                    guard valid else { throw JSONScanError(.invalidString, at: start) }
                }
                index = end + 1
                return
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            high |= byte
            end += 1
        }
        try skipString()
    }

    /// `true` when every byte is below 0x80 (eight at a time).
    static func isASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var index = 0
            let count = raw.count
            while index + 8 <= count {
                if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                index += 8
            }
            while index < count {
                if raw[index] >= 0x80 { return false }
                index += 1
            }
            return true
        }
    }

    mutating func parseEscape() throws(JSONScanError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONScanError(.invalidString, at: escapeStart)
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw JSONScanError(.invalidString, at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw JSONScanError(.invalidString, at: escapeStart)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw JSONScanError(.invalidString, at: escapeStart) }
            scratch.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw JSONScanError(.invalidString, at: escapeStart)
        }
    }

    mutating func parseHex4() throws(JSONScanError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONScanError(.unexpectedEnd, at: bytes.count) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONScanError(.invalidString, at: index)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

extension JSONParser {
    /// `parseValue(depth:)` restricted to `pick`.
    mutating func parseValue(depth: Int, pick: JSONPick) throws(JSONScanError) -> JSONValue {
        switch pick {
        case .all:
            return try parseValue(depth: depth)
        case .members(let wanted):
            guard try peek() == UInt8(ascii: "{") else { return try parseValue(depth: depth) }
            return try parseObject(depth: depth + 1, wanted: wanted)
        case .elements(let each):
            guard try peek() == UInt8(ascii: "[") else { return try parseValue(depth: depth) }
            return try parseArray(depth: depth + 1, each: each)
        case .kind:
            switch try peek() {
            case UInt8(ascii: "{"):
                try skipValue(depth: depth)
                return .object([])
            case UInt8(ascii: "["):
                try skipValue(depth: depth)
                return .array([])
            default:
                return try parseValue(depth: depth)
            }
        }
    }

    mutating func parseObject(depth: Int, wanted: [(key: String, pick: JSONPick)]) throws(JSONScanError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: index) }
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let quote = try peek()
            guard quote == UInt8(ascii: "\"") else { throw JSONScanError(.unexpectedByte(quote), at: index) }
            // The key is compared where it is unless it has escapes (then as decoded into `scratch`).
            let keyStart = index
            let match: Int?
            if let range = plainStringRange() {
                match = try bytes.withUnsafeBufferPointer { buffer throws(JSONScanError) in
                    let name = UnsafeBufferPointer(rebasing: buffer[range])
                    guard Self.isValidUTF8(name) else { throw JSONScanError(.invalidString, at: keyStart) }
                    return Self.wantedIndex(of: name, in: wanted)
                }
            } else {
                try skipString()
                match = scratch.withUnsafeBufferPointer { Self.wantedIndex(of: $0, in: wanted) }
            }
            skipWhitespace()
            let colon = try peek()
            guard colon == UInt8(ascii: ":") else { throw JSONScanError(.unexpectedByte(colon), at: index) }
            index += 1
            skipWhitespace()
            let start = index
            if let match {
                let value = try parseValue(depth: depth, pick: wanted[match].pick)
                members.append(JSONMember(key: wanted[match].key, value: value, valueRange: start..<index))
            } else {
                try skipValue(depth: depth)
            }
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else { throw JSONScanError(.unexpectedByte(next), at: index - 1) }
        }
    }

    mutating func parseArray(depth: Int, each: JSONPick) throws(JSONScanError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: index) }
        index += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try parseValue(depth: depth, pick: each))
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { return .array(values) }
            guard next == UInt8(ascii: ",") else { throw JSONScanError(.unexpectedByte(next), at: index - 1) }
        }
    }

    /// Validates one value exactly like `parseValue(depth:)` (same errors at the same offsets) without
    /// building it.
    package mutating func skipValue(depth: Int) throws(JSONScanError) {
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "{"): try skipObject(depth: depth + 1)
        case UInt8(ascii: "["): try skipArray(depth: depth + 1)
        case UInt8(ascii: "\""): try skipStringInPlace()
        case UInt8(ascii: "t"): _ = try expect("true", value: .null)
        case UInt8(ascii: "f"): _ = try expect("false", value: .null)
        case UInt8(ascii: "n"): _ = try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw JSONScanError(.unexpectedByte(byte), at: index)
        }
    }

    mutating func skipObject(depth: Int) throws(JSONScanError) {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: index) }
        index += 1
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let quote = try peek()
            guard quote == UInt8(ascii: "\"") else { throw JSONScanError(.unexpectedByte(quote), at: index) }
            try skipStringInPlace()
            skipWhitespace()
            let colon = try peek()
            guard colon == UInt8(ascii: ":") else { throw JSONScanError(.unexpectedByte(colon), at: index) }
            index += 1
            skipWhitespace()
            try skipValue(depth: depth)
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw JSONScanError(.unexpectedByte(next), at: index - 1) }
        }
    }

    mutating func skipArray(depth: Int) throws(JSONScanError) {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: index) }
        index += 1
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try skipValue(depth: depth)
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw JSONScanError(.unexpectedByte(next), at: index - 1) }
        }
    }
}
