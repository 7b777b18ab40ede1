import Foundation
import Testing
@testable import Relay

/// The text log format's field quoting and timestamps are written byte by byte (they run for every
/// access line); these hold them to the plain `Character`/`String` versions they replaced.
@Suite struct RelayLogFormatTests {
    static func referenceNeedsQuotes(_ value: String) -> Bool {
        value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
    }

    @Test func quotingMatchesTheCharacterRule() {
        let samples = ["", "plain", "127.0.0.1", "/chat/stream", "a b", "a=b", "say \"hi\"", "line\nbreak", "cr\rhere", "crlf\r\n",
                       "tab\there", "vt\u{0B}", "ff\u{0C}", "nel\u{85}x", "ls\u{2028}x", "ps\u{2029}x", "讯飞星火", "emoji 🚀",
                       "é", "back\\slash", "12.34", "-"]
        for sample in samples {
            let quoted = RelayLogHandler.quoteIfNeeded(sample)
            #expect((quoted != sample || sample.isEmpty) == Self.referenceNeedsQuotes(sample), "\(sample.debugDescription)")
        }
        #expect(RelayLogHandler.quoteIfNeeded("a \"b\"\\\n") == #""a \"b\"\\\n""#)
        #expect(RelayLogHandler.quoteIfNeeded("") == #""""#)
    }

    @Test func randomFieldsMatchTheCharacterRule() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "=", "\n", "\r", "\t", "\\", "-", "é", "星", "\u{2028}", "\u{85}", "🚀", "/"]
        for _ in 0..<3000 {
            let text = String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let quoted = RelayLogHandler.quoteIfNeeded(text)
            #expect((quoted != text || text.isEmpty) == Self.referenceNeedsQuotes(text), "\(text.debugDescription)")
        }
    }

    @Test func timestampsMatchISO8601() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var seconds: [Int] = [0, 59, 86_399, 951_782_400, 1_709_210_096, 1_795_600_800, 253_402_300_799]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 { seconds.append(Int.random(in: 0...4_102_444_800, using: &generator)) }
        for second in seconds {
            for millisecond in [0, 7, 99, 999] {
                let expected = formatter.string(from: Date(timeIntervalSince1970: Double(second) + Double(millisecond) / 1000 + 0.0001))
                #expect(RelayLogHandler.timestamp(seconds: second, milliseconds: millisecond) == expected, "\(second) \(millisecond)")
            }
        }
        #expect(RelayLogHandler.timestamp().count == 24)
    }
}
