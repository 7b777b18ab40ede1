/// The recursive-descent RFC 8259 parser behind `JSONScanner` (internal; use `JSONScanner.parse`).
struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0
    /// Reused buffer for decoding strings, so each string costs no extra allocation beyond its result.
    var scratch: [UInt8] = []

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func peek() throws(JSONScanError) -> UInt8 {
        guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
        return bytes[index]
    }

    mutating func expect(_ literal: StaticString, value: JSONValue) throws(JSONScanError) -> JSONValue {
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
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw JSONScanError(.invalidNumber, at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
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
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // RFC 8259 §6 lets a parser limit the range of numbers. Numbers beyond a Double (1e400) are
        // refused: the relay forwards payloads verbatim, and its clients' JSON parsers (Foundation,
        // JavaScript) would reject or corrupt them. Underflow to zero is harmless and accepted.
        guard let value = Double(text), value.isFinite else { throw JSONScanError(.invalidNumber, at: start) }
        return .number(text)
    }

    /// RFC 8259 §7 strings; §8.1: the text MUST be UTF-8, so invalid UTF-8 and lone surrogate escapes are rejected.
    mutating func parseString() throws(JSONScanError) -> String {
        let start = index
        index += 1
        scratch.removeAll(keepingCapacity: true)
        while true {
            guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: scratch, as: UTF8.self) else {
                    throw JSONScanError(.invalidString, at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0x00..<0x20:
                throw JSONScanError(.invalidString, at: index)
            default:
                scratch.append(byte)
                index += 1
            }
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
