import Foundation
import Testing
@testable import JSON

@Suite struct JSONWriterTests {
    @Test func writesNestedContainersWithCommas() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.beginArray()
        writer.int(1)
        writer.double(2.5)
        writer.bool(true)
        writer.null()
        writer.beginObject()
        writer.endObject()
        writer.raw("[3]".utf8)
        writer.endArray()
        writer.key("b")
        writer.string("x")
        writer.key("c")
        writer.double(.nan)
        writer.endObject()
        #expect(writer.bytes.utf8String == #"{"a":[1,2.5,true,null,{},[3]],"b":"x","c":null}"#)
    }

    @Test func everyControlCharacterIsEscapedAndRoundTrips() throws {
        var text = ""
        for value in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        text += "\"\\/\u{7F}\u{2028}\u{2029}\u{E2}\u{20AC}中"
        var writer = JSONWriter()
        writer.string(text)
        let encoded = writer.bytes.utf8String
        #expect(encoded.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x2028 && $0.value != 0x2029 })
        #expect(encoded.hasPrefix(#""\u0000\u0001"#))
        #expect(encoded.contains(#"\b\t\n\u000b\f\r"#))
        #expect(try JSONScanner.parse(writer.bytes) == .string(text))
        #expect(try JSONSerialization.jsonObject(with: Data(writer.bytes), options: [.fragmentsAllowed]) as? String == text)
    }

    /// Runs copied in one piece and escapes between them, at every position: random strings of
    /// plain text, escapes and three-byte sequences starting with E2 (U+2028/U+2029 escaped, U+20AC
    /// and U+2000 kept) round-trip through Foundation's parser, and no raw U+2028/2029 is left.
    @Test func randomMixesOfRunsAndEscapesRoundTrip() throws {
        var generator = SplitMix(seed: 0x5EED)
        let pieces: [String] = ["a", "plain text ", "\"", "\\", "\n", "\u{01}", "\u{1F}", "\u{2028}", "\u{2029}", "\u{20AC}",
                                "\u{2000}", "中文", "\u{7F}", "/", "é"]
        for _ in 0..<500 {
            var text = ""
            for _ in 0..<Int(generator.next() % 12) { text += pieces[Int(generator.next() % UInt64(pieces.count))] }
            var writer = JSONWriter()
            writer.string(text)
            let encoded = writer.bytes.utf8String
            #expect(!encoded.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 || $0.value < 0x20 })
            #expect(try JSONSerialization.jsonObject(with: Data(writer.bytes), options: [.fragmentsAllowed]) as? String == text)
        }
    }

    /// A small deterministic generator (SplitMix64) for the random test inputs.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
