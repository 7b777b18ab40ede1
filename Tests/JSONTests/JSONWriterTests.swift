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
}
