import RelayTestSupport
import Testing
@testable import SparkCodec

/// The single-pass Spark frame decoder against the general parser, with the answer text of every
/// length 0...300 at every start offset 0...7 (leading whitespace), random and adversarial bytes
/// (quotes, escapes, control characters, invalid UTF-8). Run in debug and in `swift test -c release`.
@Suite struct SparkFrameFastPathDifferentialTests {
    static func frame(content: [UInt8], offset: Int) -> [UInt8] {
        [UInt8](repeating: 0x20, count: offset)
            + Array(#"{"header":{"code":0,"message":"Success","sid":"cht1","status":1},"payload":{"choices":{"status":1,"seq":3,"text":[{"content":""#.utf8)
            + content
            + Array(#"","role":"assistant","index":0}]}}}"#.utf8)
    }

    static func decode(_ text: [UInt8], fast: Bool) -> Result<SparkResponseFrame, SparkError> {
        var decoder = SparkFrameDecoder()
        decoder.usesFastPath = fast
        return Result { () throws(SparkError) in try decoder.decode(text) }
    }

    static func check(_ content: [UInt8], offset: Int) -> String? {
        let text = frame(content: content, offset: offset)
        let fast = decode(text, fast: true)
        let general = decode(text, fast: false)
        if fast != general { return "fast \(fast) vs general \(general)" }
        // Independent of both paths: plain ASCII text without quote or backslash comes back as is.
        if content.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            guard case .success(let decoded) = fast, Array(decoded.content.utf8) == content else { return "plain text not returned as is" }
        }
        return nil
    }

    @Test func randomAndAdversarialAnswerText() {
        let problems = DifferentialInputs.mismatches(seed: 0x7370_6B66, odd: 0x22) { bytes, offset in
            Self.check(bytes, offset: offset)
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func stringLikeAnswerText() {
        let problems = JSONStringInputs.mismatches(seed: 0x7370_6B73) { bytes, offset in
            Self.check(bytes, offset: offset)
        }
        #expect(problems.isEmpty, "\(problems)")
    }
}
