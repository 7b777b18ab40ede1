import JSON
#if canImport(Glibc)
import Glibc
#endif

/// The values `SparkFrameDecoder.decode` reads from one frame, filled by `SparkFrameFastPath`.
/// `nil` means absent or `null` (the decoder applies its defaults).
struct SparkFrameFields {
    var code: Int?
    var message: String?
    var sid: String?
    var status: Int?
    /// Byte range of a present, non-null `payload` object.
    var payloadRange: Range<Int>?
    var hasChoices = false
    var choicesStatus: Int?
    var seq: Int?
    var content: String?
    var reasoningContent: String?
    var functionCall: SparkFunctionCall?
    var usage: SparkUsage?
    /// Byte range of a present, non-null `payload.plugins` (any kind of value).
    var pluginsRange: Range<Int>?
    /// Input, not a field: the sid of the stream's earlier frames. Spark repeats it in every frame, so
    /// an equal `header.sid` reuses this `String` instead of building a new one.
    var previousSID: String?
}

/// A single-pass decoder for the common, well-formed frame shape that fills `SparkFrameFields`
/// directly: no `JSONValue` tree, keys matched in place, integers read without `String`/`strtod`,
/// strings without escapes made straight from the input.
///
/// It is an optimistic path: it returns `nil` ("bail") for anything unusual — invalid JSON, a wrong
/// type, a duplicate picked key, an escaped or non-ASCII key, a non-string `function_call.arguments`,
/// a non-zero `header.code` — and the decoder then runs the general `JSONScanner.parse(_:picking:)`
/// path, which produces the exact error or value. When it does return fields, it has validated the
/// whole input exactly like the general path (every skipped value goes through `skipValue`, the same
/// depth bound, numbers within a Double, UTF-8), and the fields equal what the general path reads.
enum SparkFrameFastPath {
    struct Bail: Error {}

    /// The fields of `bytes`, and whether it held no insignificant whitespace; `nil` to take the general path.
    static func decode(_ bytes: [UInt8], maxDepth: Int = JSONScanner.defaultMaxDepth,
                       previousSID: String? = nil) -> (fields: SparkFrameFields, isCompact: Bool)? {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        var fields = SparkFrameFields()
        fields.previousSID = previousSID
        do throws(Bail) {
            parser.skipWhitespace()
            try root(&parser, into: &fields)
            parser.skipWhitespace()
            guard parser.index == bytes.count else { return nil }
        } catch {
            return nil
        }
        guard fields.code == 0 else { return nil }
        return (fields, !parser.sawWhitespace)
    }

    // MARK: - Frame shape

    private static func root(_ p: inout JSONParser, into f: inout SparkFrameFields) throws(Bail) {
        var seen: UInt8 = 0
        try object(&p, depth: 0) { p, key, depth throws(Bail) in
            if p.key(key, is: "header") {
                try once(&seen, 1)
                try header(&p, depth: depth, into: &f)
            } else if p.key(key, is: "payload") {
                try once(&seen, 2)
                try payload(&p, depth: depth, into: &f)
            } else {
                try skip(&p, depth: depth)
            }
        }
        // A missing header (or header.code) is an error the general path reports.
        guard seen & 1 != 0, f.code != nil else { throw Bail() }
    }

    private static func header(_ p: inout JSONParser, depth: Int, into f: inout SparkFrameFields) throws(Bail) {
        var seen: UInt8 = 0
        try object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "code") {
                try once(&seen, 1)
                f.code = try int(&p)
            } else if p.key(key, is: "message") {
                try once(&seen, 2)
                f.message = try string(&p)
            } else if p.key(key, is: "sid") {
                try once(&seen, 4)
                f.sid = try string(&p, reusing: f.previousSID)
            } else if p.key(key, is: "status") {
                try once(&seen, 8)
                f.status = try int(&p)
            } else {
                try skip(&p, depth: depth)
            }
        }
    }

    private static func payload(_ p: inout JSONParser, depth: Int, into f: inout SparkFrameFields) throws(Bail) {
        let start = p.index
        if try isNull(&p) { return }
        var seen: UInt8 = 0
        try object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "choices") {
                try once(&seen, 1)
                try choices(&p, depth: depth, into: &f)
            } else if p.key(key, is: "usage") {
                try once(&seen, 2)
                try usage(&p, depth: depth, into: &f)
            } else if p.key(key, is: "plugins") {
                try once(&seen, 4)
                let valueStart = p.index
                if try !isNull(&p) {
                    try skip(&p, depth: depth)
                    f.pluginsRange = valueStart..<p.index
                }
            } else {
                try skip(&p, depth: depth)
            }
        }
        f.payloadRange = start..<p.index
    }

    private static func choices(_ p: inout JSONParser, depth: Int, into f: inout SparkFrameFields) throws(Bail) {
        if try isNull(&p) { return }
        f.hasChoices = true
        var seen: UInt8 = 0
        try object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "status") {
                try once(&seen, 1)
                f.choicesStatus = try int(&p)
            } else if p.key(key, is: "seq") {
                try once(&seen, 2)
                f.seq = try int(&p)
            } else if p.key(key, is: "text") {
                try once(&seen, 4)
                try text(&p, depth: depth, into: &f)
            } else {
                try skip(&p, depth: depth)
            }
        }
    }

    private static func text(_ p: inout JSONParser, depth: Int, into f: inout SparkFrameFields) throws(Bail) {
        if try isNull(&p) { return }
        guard p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: "[") else { throw Bail() }
        let arrayDepth = depth + 1
        guard arrayDepth <= p.maxDepth else { throw Bail() }
        p.index += 1
        p.skipWhitespace()
        if try peek(&p) == UInt8(ascii: "]") {
            p.index += 1
            return
        }
        var first = true
        while true {
            p.skipWhitespace()
            if first {
                first = false
                try textItem(&p, depth: arrayDepth, into: &f)
            } else {
                try skip(&p, depth: arrayDepth)
            }
            p.skipWhitespace()
            let next = try peek(&p)
            p.index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Bail() }
        }
    }

    private static func textItem(_ p: inout JSONParser, depth: Int, into f: inout SparkFrameFields) throws(Bail) {
        var seen: UInt8 = 0
        try object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "content") {
                try once(&seen, 1)
                f.content = try string(&p)
            } else if p.key(key, is: "reasoning_content") {
                try once(&seen, 2)
                f.reasoningContent = try string(&p)
            } else if p.key(key, is: "function_call") {
                try once(&seen, 4)
                try functionCall(&p, depth: depth, into: &f)
            } else {
                try skip(&p, depth: depth)
            }
        }
    }

    private static func functionCall(_ p: inout JSONParser, depth: Int, into f: inout SparkFrameFields) throws(Bail) {
        if try isNull(&p) { return }
        var name: String?
        var arguments: String?
        var seen: UInt8 = 0
        try object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "name") {
                try once(&seen, 1)
                name = try string(&p)
            } else if p.key(key, is: "arguments") {
                try once(&seen, 2)
                // An object instead of a JSON string is tolerated by the general path (compacted).
                arguments = try string(&p)
            } else {
                try skip(&p, depth: depth)
            }
        }
        f.functionCall = SparkFunctionCall(name: name ?? "", arguments: arguments ?? "")
    }

    private static func usage(_ p: inout JSONParser, depth: Int, into f: inout SparkFrameFields) throws(Bail) {
        if try isNull(&p) { return }
        var seen: UInt8 = 0
        try object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "text") {
                try once(&seen, 1)
                if try isNull(&p) { return }
                var prompt: Int?, completion: Int?, total: Int?, question: Int?
                var seenText: UInt8 = 0
                try object(&p, depth: depth) { p, key, depth throws(Bail) in
                    if p.key(key, is: "prompt_tokens") {
                        try once(&seenText, 1)
                        prompt = try int(&p)
                    } else if p.key(key, is: "completion_tokens") {
                        try once(&seenText, 2)
                        completion = try int(&p)
                    } else if p.key(key, is: "total_tokens") {
                        try once(&seenText, 4)
                        total = try int(&p)
                    } else if p.key(key, is: "question_tokens") {
                        try once(&seenText, 8)
                        question = try int(&p)
                    } else {
                        try skip(&p, depth: depth)
                    }
                }
                f.usage = SparkUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0,
                                     totalTokens: total ?? 0, questionTokens: question ?? 0)
            } else {
                try skip(&p, depth: depth)
            }
        }
    }

    // MARK: - Building blocks (shared with `SparkHTTPChunkFastPath`)

    /// A picked key seen twice: the general path's "last one wins" decides.
    @inline(__always)
    static func once(_ seen: inout UInt8, _ bit: UInt8) throws(Bail) {
        guard seen & bit == 0 else { throw Bail() }
        seen |= bit
    }

    @inline(__always)
    static func peek(_ p: inout JSONParser) throws(Bail) -> UInt8 {
        guard p.index < p.bytes.count else { throw Bail() }
        return p.bytes[p.index]
    }

    /// Consumes `null` and returns `true`, or leaves any other value in place.
    @inline(__always)
    static func isNull(_ p: inout JSONParser) throws(Bail) -> Bool {
        guard try peek(&p) == UInt8(ascii: "n") else { return false }
        do { _ = try p.expect("null", value: .null) } catch { throw Bail() }
        return true
    }

    /// Validates and skips one value exactly like the general path.
    @inline(__always)
    static func skip(_ p: inout JSONParser, depth: Int) throws(Bail) {
        do { try p.skipValue(depth: depth) } catch { throw Bail() }
    }

    /// An object whose members are each handed to `body` (key range, positioned at the value, which
    /// `body` must consume). `depth` is the depth passed to `parseValue` for this value.
    static func object(_ p: inout JSONParser, depth: Int,
                               _ body: (inout JSONParser, Range<Int>, Int) throws(Bail) -> Void) throws(Bail) {
        guard try peek(&p) == UInt8(ascii: "{") else { throw Bail() }
        let objectDepth = depth + 1
        guard objectDepth <= p.maxDepth else { throw Bail() }
        p.index += 1
        p.skipWhitespace()
        if try peek(&p) == UInt8(ascii: "}") {
            p.index += 1
            return
        }
        while true {
            p.skipWhitespace()
            let key = try plainKey(&p)
            p.skipWhitespace()
            guard try peek(&p) == UInt8(ascii: ":") else { throw Bail() }
            p.index += 1
            p.skipWhitespace()
            try body(&p, key, objectDepth)
            p.skipWhitespace()
            let next = try peek(&p)
            p.index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Bail() }
        }
    }

    /// A key of printable ASCII without escapes (anything else bails); returns its bytes' range.
    @inline(__always)
    static func plainKey(_ p: inout JSONParser) throws(Bail) -> Range<Int> {
        guard try peek(&p) == UInt8(ascii: "\"") else { throw Bail() }
        let start = p.index + 1
        var index = start
        let count = p.bytes.count
        while index < count {
            let byte = p.bytes[index]
            if byte == UInt8(ascii: "\"") {
                p.index = index + 1
                return start..<index
            }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { throw Bail() }
            index += 1
        }
        throw Bail()
    }

    /// A string or `null`; any other kind bails. Strings without escapes are made from the input directly.
    static func string(_ p: inout JSONParser, reusing known: String? = nil) throws(Bail) -> String? {
        let first = try peek(&p)
        if first == UInt8(ascii: "n") {
            _ = try isNull(&p)
            return nil
        }
        guard first == UInt8(ascii: "\"") else { throw Bail() }
        let start = p.index + 1
        var index = start
        var high: UInt8 = 0
        let bytes = p.bytes
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                p.index = index + 1
                let text: String? = bytes.withUnsafeBufferPointer { buffer in
                    let slice = UnsafeBufferPointer(rebasing: buffer[start..<index])
                    if var known, high < 0x80, known.utf8.count == slice.count,
                       known.withUTF8({ slice.isEmpty || memcmp($0.baseAddress!, slice.baseAddress!, slice.count) == 0 }) {
                        return known
                    }
                    return high < 0x80 ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
                }
                guard let text else { throw Bail() }
                return text
            }
            if byte == UInt8(ascii: "\\") {
                // Escapes: the general string parser (same validation as the full parse).
                do { return try p.parseString() } catch { throw Bail() }
            }
            guard byte >= 0x20 else { throw Bail() }
            high |= byte
            index += 1
        }
        throw Bail()
    }

    /// An integer (no fraction, no exponent, at most 18 digits) or `null`; anything else bails.
    static func int(_ p: inout JSONParser) throws(Bail) -> Int? {
        let first = try peek(&p)
        if first == UInt8(ascii: "n") {
            _ = try isNull(&p)
            return nil
        }
        guard first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { throw Bail() }
        let start = p.index
        let digits: Int
        do { digits = try p.scanNumber() } catch { throw Bail() }
        let negative = first == UInt8(ascii: "-")
        let digitStart = negative ? start + 1 : start
        guard digits >= 1, digits <= 18, p.index == digitStart + digits else { throw Bail() }
        var value = 0
        for index in digitStart..<p.index {
            value = value &* 10 &+ Int(p.bytes[index] &- UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }
}

extension JSONParser {
    /// `true` when the bytes in `range` are exactly `literal`.
    @inline(__always)
    func key(_ range: Range<Int>, is literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard range.count == count else { return false }
        let start = literal.utf8Start
        var offset = 0
        while offset < count {
            if bytes[range.lowerBound + offset] != start[offset] { return false }
            offset += 1
        }
        return true
    }
}
