import Testing
@testable import SparkCodec

/// `SparkHTTPChunkFastPath` held to the general path: every chunk below, and seeded mutations of
/// them, decode to the same frames (or the same error) with the fast path on and off.
@Suite struct SparkHTTPChunkFastPathTests {
    typealias Fixture = SparkHTTPStreamDecoderTests
    static let sid = Fixture.sid

    /// Chunks in the common shape, its variations, and shapes the fast path must leave alone.
    static let chunks: [String] = [
        Fixture.chunk(#""content":"你好""#),
        Fixture.chunk(#""content":"a\"b\\n\u00e9😀""#),
        Fixture.chunk(#""content":"","reasoning_content":"想一想""#),
        Fixture.chunk(#""content":null,"reasoning_content":null"#),
        Fixture.chunk(#""content":"x""#, usage: Fixture.usageJSON),
        Fixture.chunk(#""content":"x""#, usage: "null"),
        Fixture.chunk(#""content":"x""#, usage: #"{"prompt_tokens":1}"#),
        Fixture.chunk(#""content":"x""#, usage: #"{"prompt_tokens":1.5,"completion_tokens":2,"total_tokens":3}"#),
        Fixture.chunk(#""content":"x""#, extra: #","error":null"#),
        Fixture.chunk(#""content":"x","content":"y""#),
        Fixture.chunk(#""content":5"#),
        Fixture.chunk(#""content":"x","tool_calls":null"#),
        Fixture.chunk(#""content":"","tool_calls":{"type":"function","function":{"name":"f","arguments":"{}"},"id":"call_1"}"#),
        #" { "code" : 0 , "sid" : "s" , "choices" : [ { "delta" : { "content" : "spaced" } } ] } "#,
        #"{"code":0,"id":"only-id","choices":[{"delta":{"content":"i"}}]}"#,
        #"{"code":0,"sid":null,"id":"from-id","choices":[null]}"#,
        #"{"code":0,"sid":"s","choices":[]}"#,
        #"{"code":0,"sid":"s","choices":[{"delta":null},{"delta":{"content":"second"}}]}"#,
        #"{"code":0,"sid":"s","choices":[7]}"#,
        #"{"code":0,"sid":"s","choices":{"delta":{"content":"x"}}}"#,
        #"{"code":0,"sid":"s","choices":[{"delta":[1]}]}"#,
        #"{"code":0,"sid":"s","message":3,"choices":[]}"#,
        #"{"code":0,"sid":5,"choices":[]}"#,
        #"{"code":0,"sid":"s","id":5,"choices":[]}"#,
        #"{"code":"0","sid":"s"}"#,
        #"{"code":0.0,"sid":"s"}"#,
        #"{"code":10013,"message":"blocked","sid":"s"}"#,
        #"{"sid":"s","error":{"code":11200,"message":"licence"}}"#,
        #"{"sid":"s","error":{"message":"no code"}}"#,
        #"{"code":0,"sid":"s","\u0063hoices":[{"delta":{"content":"escaped key"}}]}"#,
        #"{"code":0,"sid":"s","created":1e3,"extra":{"deep":[1,2,{"a":null}]},"choices":[{"delta":{"content":"ok"},"finish_reason":"stop","index":0}]}"#,
        #"{"code":0,"sid":"s","choices":[{"delta":{"content":"unterminated"}}]"#,
        #"[1,2]"#,
        #"{"code":0,"sid":"s"} trailing"#,
    ]

    /// Every frame of `body` (one event per chunk, then `[DONE]`), or the error, via one path.
    static func outcome(_ chunks: [String], fastPath: Bool) -> String {
        var decoder = SparkHTTPStreamDecoder()
        decoder.usesFastPath = fastPath
        var frames: [SparkResponseFrame] = []
        do {
            for chunk in chunks {
                frames += try decoder.append(Array(("data:" + chunk + "\n\n").utf8))
            }
            frames += try decoder.append(Array("data: [DONE]\n\n".utf8))
            frames += try decoder.finish()
            return "\(frames)"
        } catch {
            return "\(frames) error \(error)"
        }
    }

    @Test(arguments: chunks)
    func eachChunkDecodesAlikeOnBothPaths(chunk: String) {
        // Alone, and after a first chunk (the sid is known and reused then).
        for sequence in [[chunk], [Fixture.chunk(#""content":"first""#), chunk]] {
            #expect(Self.outcome(sequence, fastPath: true) == Self.outcome(sequence, fastPath: false), "\(sequence)")
        }
    }

    @Test func theCommonShapeTakesTheFastPath() {
        let fields = SparkHTTPChunkFastPath.decode(Array(Fixture.chunk(#""content":"你好""#, usage: Fixture.usageJSON).utf8), knownSID: nil)
        #expect(fields?.content == "你好")
        #expect(fields?.sid == Self.sid)
        #expect(fields?.usage == SparkUsage(promptTokens: 6, completionTokens: 42, totalTokens: 48))
        #expect(SparkHTTPChunkFastPath.decode(Array(#"{"code":10013,"sid":"s"}"#.utf8), knownSID: nil) == nil)
    }

    @Test func seededMutationsDecodeAlikeOnBothPaths() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(truncatingIfNeeded: state & 0x7FFF_FFFF)
        }
        let alphabet = Array(#"{}[]",:0123456789.-eE nultrfas\"#.utf8) + [0xE4, 0xBD, 0xA0, 0x0A]
        for _ in 0..<3000 {
            var bytes = Array(Self.chunks[next() % Self.chunks.count].utf8)
            for _ in 0..<(1 + next() % 3) where !bytes.isEmpty {
                let index = next() % bytes.count
                switch next() % 3 {
                case 0: bytes[index] = alphabet[next() % alphabet.count]
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet[next() % alphabet.count], at: index)
                }
            }
            bytes.removeAll { $0 == 0x0A || $0 == 0x0D }  // one SSE data line per chunk
            let chunk = String(decoding: bytes, as: UTF8.self)
            #expect(Self.outcome([chunk], fastPath: true) == Self.outcome([chunk], fastPath: false), "\(chunk)")
        }
    }
}
