import RelayTestSupport
import Testing
@testable import SparkCodec

/// `SparkFrameDecoder`'s single-pass fast path must give exactly what the general path gives: the same
/// frame, or the same error (it bails to the general path on anything unusual).
@Suite struct SparkFrameFastPathTests {
    private func outcome(_ text: [UInt8], fast: Bool) -> Result<SparkResponseFrame, SparkError> {
        var decoder = SparkFrameDecoder()
        decoder.usesFastPath = fast
        return Result { () throws(SparkError) in try decoder.decode(text) }
    }

    private func expectSame(_ text: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = outcome(text, fast: true)
        let general = outcome(text, fast: false)
        #expect(fast == general, "\(String(decoding: text, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    static let frames: [String] = [
        #"{"header":{"code":0,"message":"Success","sid":"cht1","status":0},"payload":{"choices":{"status":0,"seq":0,"text":[{"content":"你好","role":"assistant","index":0}]}}}"#,
        #"{"header":{"code":0,"message":"Success","sid":"cht1","status":1},"payload":{"choices":{"status":1,"seq":1,"text":[{"content":"a \"quoted\"\nline \u00e9 \ud83d\ude00","role":"assistant","index":0}]}}}"#,
        #"{"header":{"code":0,"message":"Success","sid":"cht1","status":2},"payload":{"choices":{"status":2,"seq":2,"text":[{"content":"","role":"assistant","index":0}]},"usage":{"text":{"question_tokens":4,"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}}}}"#,
        #"{"header":{"sim_sent_ns":1732560000000000000,"code":0,"message":"Success","sid":"s","status":1},"payload":{"choices":{"sim_sent_ns":1732560000000000000,"status":1,"seq":3,"text":[{"content":"x"}]}}}"#,
        #" { "header" : { "code" : 0 , "status" : 1 } , "payload" : { "choices" : { "text" : [ { "content" : "a b" } ] } } } "#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[{"content":"x","reasoning_content":"think"},{"content":"y"},7]}}}"#,
        #"{"header":{"code":0,"status":2},"payload":{"choices":{"status":2,"text":[{"content":"","function_call":{"name":"f","arguments":"{\"a\":1}"}}]}}}"#,
        #"{"header":{"code":0,"status":2},"payload":{"choices":{"status":2,"text":[{"function_call":{"name":"f","arguments":{"a": [1, 2]}}}]}}}"#,
        #"{"header":{"code":0,"status":2},"payload":{"choices":{"status":2,"text":[{"function_call":{"arguments":null}}]}}}"#,
        #"{"header":{"code":0,"status":2},"payload":{"choices":{"status":2,"text":[{"function_call":null}]}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"plugins":{"text":[{"name":"ifly_search","content":"[]"}]}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"plugins":"raw"}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"plugins":null,"choices":null,"usage":null}}"#,
        #"{"header":{"code":0,"status":1},"payload":null}"#,
        #"{"header":{"code":0,"status":1}}"#,
        #"{"header":{"code":0,"message":null,"sid":null,"status":null}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"usage":{"text":null}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"usage":{"other":1}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"usage":{"text":{"prompt_tokens":1}}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[]}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":null}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{}}"#,
        #"{"header":{"code":-0,"status":-1},"payload":{"choices":{"seq":123456789012345678}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"seq":1234567890123456789}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"seq":99999999999999999999}}}"#,
        // Wrong types, duplicates, escaped keys, errors: the general path decides.
        #"{"header":{"code":0,"status":1.0}}"#,
        #"{"header":{"code":0,"status":1e0}}"#,
        #"{"header":{"code":"0","status":1}}"#,
        #"{"header":{"code":0,"status":1},"header":{"code":0,"status":2}}"#,
        #"{"header":{"code":0,"status":1,"status":2}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"seq":1,"seq":2}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[{"content":"a","content":"b"}]}}}"#,
        #"{"header":{"\u0063ode":0,"status":1}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[{"cont\u0065nt":"x"}]}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"ch\u00f6ices":1,"choices":{"text":[{"content":"x"}]}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[{"content":1}]}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[1]}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":{"text":{"content":"x"}}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"choices":[1]}}"#,
        #"{"header":{"code":0,"status":1},"payload":[]}"#,
        #"{"header":{"code":0,"status":1},"payload":{"usage":{"text":{"prompt_tokens":1.5}}}}"#,
        #"{"header":{"code":0,"status":1},"payload":{"usage":[]}}"#,
        #"{"header":{"code":10013,"message":"bad","sid":"s","status":2}}"#,
        #"{"header":{"status":1}}"#,
        #"{"header":null}"#,
        #"{"header":[]}"#,
        #"{"payload":{}}"#,
        #"[]"#, #""#, #"{"#, #"{"header":{"code":0}} x"#, #"{"header":{"code":0},"x":1e400}"#,
        #"{"header":{"code":0},"x":"\ud800"}"#, "{\"header\":{\"code\":0},\"x\":\"tab\tin\"}", #"{"header":{"code":0,"status":01}}"#,
        #"{"header":{"code":0},"payload":{"choices":{"text":[{"content":"unterminated}]}}}"#,
        #"{"header":{"code":0},"x":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}",
        #"{"header":{"code":0},"payload":{"choices":{"text":[{"content":"x","deep":"# + String(repeating: "[", count: 59)
            + String(repeating: "]", count: 59) + "}]}}}",
        #"{"header":{"code":0},"payload":{"choices":{"text":[{"content":"x","deep":"# + String(repeating: "[", count: 60)
            + String(repeating: "]", count: 60) + "}]}}}",
    ]

    @Test(arguments: frames)
    func fastPathMatchesTheGeneralPath(text: String) {
        expectSame(Array(text.utf8))
    }

    @Test func invalidUTF8MatchesTheGeneralPath() {
        let prefix = Array(#"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[{"content":""#.utf8)
        let suffix = Array(#""}]}}}"#.utf8)
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE4, 0xBD], [0xED, 0xA0, 0x80], [0xC3, 0xA9]] {
            expectSame(prefix + bad + suffix)
            expectSame(Array(#"{"header":{"code":0},"x":""#.utf8) + bad + Array(#""}"#.utf8))
            expectSame(Array(#"{"header":{"code":0},""#.utf8) + bad + Array(#"":1}"#.utf8))
        }
    }

    @Test func fixturesMatchTheGeneralPath() throws {
        for name in ["frames-example.jsonl", "frames-function-call.jsonl", "frames-error-10013.jsonl"] {
            for line in try Fixtures.lines(name) { expectSame(line) }
        }
    }

    /// Every prefix of a real frame (truncated input) fails the same way on both paths.
    @Test func everyTruncationMatchesTheGeneralPath() {
        let text = Array(SparkFrameFastPathTests.frames[2].utf8)
        for end in 0...text.count { expectSame(Array(text[..<end])) }
    }

    /// Differential check on random mutations of valid frames (seeded, so failures reproduce): byte
    /// flips, insertions of JSON-significant bytes, deletions and duplicated spans.
    @Test func randomMutationsMatchTheGeneralPath() {
        var random = DifferentialInputs.Generator(seed: 0x5EED_F4A5)
        let alphabet = Array(#"{}[]":,\ 0123456789.eE+-truefalsnull"abcé"#.utf8) + [0x00, 0x0A, 0x1F, 0x80, 0xC3, 0xFF]
        let seeds = SparkFrameFastPathTests.frames.prefix(26).map { Array($0.utf8) }
        for _ in 0..<12_000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(random.next() % 3)) where !bytes.isEmpty {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                case 2: bytes.remove(at: at)
                default:
                    let end = min(bytes.count, at + 1 + Int(random.next() % 24))
                    bytes.insert(contentsOf: Array(bytes[at..<end]), at: end)
                }
            }
            expectSame(bytes)
        }
    }

    @Test func theFastPathTakesTheCommonShape() throws {
        let fields = try #require(SparkFrameFastPath.decode(Array(SparkFrameFastPathTests.frames[0].utf8)))
        #expect(fields.isCompact)
        #expect(fields.fields.content == "你好")
        #expect(SparkFrameFastPath.decode(Array(SparkFrameFastPathTests.frames[4].utf8))?.isCompact == false)
        #expect(SparkFrameFastPath.decode(Array(#"{"header":{"code":0,"status":1,"status":2}}"#.utf8)) == nil)
    }

    /// The fast path reuses the stream's earlier sid only when the frame's sid is byte-for-byte equal.
    @Test func eachFrameCarriesItsOwnSIDWhenItChanges() throws {
        var decoder = SparkFrameDecoder()
        for sid in ["cht1", "cht1", "cht10", "cht1", "c", "cht1x", "ünï", "ünï", "cht1"] {
            let text = #"{"header":{"code":0,"message":"Success","sid":""# + sid + #"","status":1},"payload":{"choices":{"status":1,"seq":1,"text":[{"content":"x"}]}}}"#
            let frame = try decoder.decode(Array(text.utf8))
            #expect(frame.sid == sid)
        }
        #expect(decoder.sid == "cht1")
    }
}
