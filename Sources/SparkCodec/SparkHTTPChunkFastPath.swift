import JSON

/// The values `SparkHTTPStreamDecoder` reads from one chunk of Spark's HTTP stream, filled by
/// `SparkHTTPChunkFastPath`. `nil` means absent or `null`.
struct SparkHTTPChunkFields {
    var code: Int?
    var message: String?
    /// `sid`, else `id` (Spark sends both, equal).
    var sid: String?
    var content: String?
    /// The `content` literal's range in the chunk, quotes included (copied into the payload as is).
    var contentRange: Range<Int>?
    var reasoning: String?
    var reasoningRange: Range<Int>?
    var usage: SparkUsage?
}

/// A single-pass decoder for the common shape of one chunk of Spark's HTTP stream —
/// `{"code":0,"message":…,"sid":…,"id":…,"created":…,"choices":[{"delta":{"role":…,"content":…},…}],"usage":…}`
/// — built from `SparkFrameFastPath`'s blocks: no `JSONValue` tree, keys matched in place, the
/// stream's `sid` reused instead of a new `String` per chunk.
///
/// Optimistic like its WebSocket sibling: it returns `nil` for anything unusual — a non-zero
/// `code`, an `error` member, `tool_calls`, a wrong type, a duplicate picked key, an escaped or
/// non-ASCII key, a number that is not a plain integer — and the decoder then takes the general
/// path, which produces the exact error or value. When it returns fields it has validated the whole
/// chunk as the general path does, and the fields equal what the general path reads (held to it by
/// `SparkHTTPStreamDecoderTests` and `FuzzSparkHTTPStream`).
enum SparkHTTPChunkFastPath {
    typealias Bail = SparkFrameFastPath.Bail
    typealias Blocks = SparkFrameFastPath

    /// The fields of `bytes`; `nil` to take the general path. `knownSID` is reused when equal.
    static func decode(_ bytes: [UInt8], knownSID: String?, maxDepth: Int = JSONScanner.defaultMaxDepth) -> SparkHTTPChunkFields? {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        var fields = SparkHTTPChunkFields()
        do throws(Bail) {
            parser.skipWhitespace()
            try root(&parser, knownSID: knownSID, into: &fields)
            parser.skipWhitespace()
            guard parser.index == bytes.count else { return nil }
        } catch {
            return nil
        }
        guard (fields.code ?? 0) == 0 else { return nil }
        return fields
    }

    private static func root(_ p: inout JSONParser, knownSID: String?, into f: inout SparkHTTPChunkFields) throws(Bail) {
        var seen: UInt8 = 0
        var id: String?
        try Blocks.object(&p, depth: 0) { p, key, depth throws(Bail) in
            if p.key(key, is: "code") {
                try Blocks.once(&seen, 1)
                f.code = try Blocks.int(&p)
            } else if p.key(key, is: "message") {
                try Blocks.once(&seen, 2)
                f.message = try Blocks.string(&p)
            } else if p.key(key, is: "sid") {
                try Blocks.once(&seen, 4)
                f.sid = try Blocks.string(&p, reusing: knownSID)
            } else if p.key(key, is: "id") {
                try Blocks.once(&seen, 8)
                id = try Blocks.string(&p, reusing: knownSID)
            } else if p.key(key, is: "error") {
                // Any error member (even `null`) goes the general way.
                throw Bail()
            } else if p.key(key, is: "choices") {
                try Blocks.once(&seen, 16)
                try choices(&p, depth: depth, into: &f)
            } else if p.key(key, is: "usage") {
                try Blocks.once(&seen, 32)
                try usage(&p, depth: depth, into: &f)
            } else {
                try Blocks.skip(&p, depth: depth)
            }
        }
        if f.sid == nil { f.sid = id }
    }

    private static func choices(_ p: inout JSONParser, depth: Int, into f: inout SparkHTTPChunkFields) throws(Bail) {
        if try Blocks.isNull(&p) { return }
        guard try Blocks.peek(&p) == UInt8(ascii: "[") else { throw Bail() }
        let arrayDepth = depth + 1
        guard arrayDepth <= p.maxDepth else { throw Bail() }
        p.index += 1
        p.skipWhitespace()
        if try Blocks.peek(&p) == UInt8(ascii: "]") {
            p.index += 1
            return
        }
        var first = true
        while true {
            p.skipWhitespace()
            if first {
                first = false
                // Only choices[0] is read; `null` there is no delta.
                if try !Blocks.isNull(&p) { try choice(&p, depth: arrayDepth, into: &f) }
            } else {
                try Blocks.skip(&p, depth: arrayDepth)
            }
            p.skipWhitespace()
            let next = try Blocks.peek(&p)
            p.index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Bail() }
        }
    }

    private static func choice(_ p: inout JSONParser, depth: Int, into f: inout SparkHTTPChunkFields) throws(Bail) {
        var seen: UInt8 = 0
        try Blocks.object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "delta") {
                try Blocks.once(&seen, 1)
                if try Blocks.isNull(&p) { return }
                try delta(&p, depth: depth, into: &f)
            } else {
                try Blocks.skip(&p, depth: depth)
            }
        }
    }

    private static func delta(_ p: inout JSONParser, depth: Int, into f: inout SparkHTTPChunkFields) throws(Bail) {
        var seen: UInt8 = 0
        try Blocks.object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "content") {
                try Blocks.once(&seen, 1)
                let start = p.index
                f.content = try Blocks.string(&p)
                if f.content != nil { f.contentRange = start..<p.index }
            } else if p.key(key, is: "reasoning_content") {
                try Blocks.once(&seen, 2)
                let start = p.index
                f.reasoning = try Blocks.string(&p)
                if f.reasoning != nil { f.reasoningRange = start..<p.index }
            } else if p.key(key, is: "tool_calls") {
                // Tool calls (object or array, ids, argument objects) take the general path.
                throw Bail()
            } else {
                try Blocks.skip(&p, depth: depth)
            }
        }
    }

    private static func usage(_ p: inout JSONParser, depth: Int, into f: inout SparkHTTPChunkFields) throws(Bail) {
        if try Blocks.isNull(&p) { return }
        var prompt: Int?, completion: Int?, total: Int?
        var seen: UInt8 = 0
        try Blocks.object(&p, depth: depth) { p, key, depth throws(Bail) in
            if p.key(key, is: "prompt_tokens") {
                try Blocks.once(&seen, 1)
                prompt = try Blocks.int(&p)
            } else if p.key(key, is: "completion_tokens") {
                try Blocks.once(&seen, 2)
                completion = try Blocks.int(&p)
            } else if p.key(key, is: "total_tokens") {
                try Blocks.once(&seen, 4)
                total = try Blocks.int(&p)
            } else {
                try Blocks.skip(&p, depth: depth)
            }
        }
        f.usage = SparkUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0, totalTokens: total ?? 0)
    }
}
