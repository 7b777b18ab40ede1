import Testing
@testable import SparkCodec

@Suite struct FormURLEncodingTests {
    /// Independent statement of Python's `quote_plus` rule, one byte at a time.
    static func reference(_ byte: UInt8) -> String {
        let kept = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~".utf8)
        if kept.contains(byte) { return String(UnicodeScalar(byte)) }
        if byte == 0x20 { return "+" }
        let hex = Array("0123456789ABCDEF")
        return "%\(hex[Int(byte / 16)])\(hex[Int(byte % 16)])"
    }

    @Test func everyASCIIByteFollowsQuotePlus() {
        for byte in UInt8(0)...UInt8(0x7F) {
            let string = String(UnicodeScalar(byte))
            #expect(FormURLEncoding.encode(string) == Self.reference(byte), "byte \(byte)")
            #expect(FormURLEncoding.decode(FormURLEncoding.encode(string)) == string)
        }
    }

    @Test func everyNonASCIIByteIsPercentEncoded() {
        // Scalars whose UTF-8 forms together use every byte value 0x80...0xF4 that UTF-8 can contain.
        var text = ""
        for value in [0x80, 0xFF, 0x7FF, 0x800, 0xFFFD, 0x10000, 0x10FFFF] + Array(0x80...0x7FF) + Array(stride(from: 0x1000, through: 0xF000, by: 0x1000)) {
            text.unicodeScalars.append(Unicode.Scalar(UInt32(value))!)
        }
        for value in stride(from: 0x40000, through: 0x10FFFF, by: 0x10000) {
            text.unicodeScalars.append(Unicode.Scalar(UInt32(value))!)
        }
        let expected = text.utf8.map { Self.reference($0) }.joined()
        #expect(FormURLEncoding.encode(text) == expected)
        #expect(FormURLEncoding.decode(expected) == text)
        let seen = Set(text.utf8.filter { $0 >= 0x80 })
        #expect(seen.count == 0xF5 - 0x80 - 2) // every byte except C0 and C1, which UTF-8 never uses
    }

    @Test func vectorQueriesAreTheEncodedValues() throws {
        for vector in try Fixtures.authVectors().vectors {
            let expected = "authorization=\(FormURLEncoding.encode(vector.expected.authorization))"
                + "&date=\(FormURLEncoding.encode(vector.inputs.date))&host=\(FormURLEncoding.encode(vector.inputs.host))"
            #expect(expected == vector.expected.query, "\(vector.name)")
            let pairs = try #require(FormURLEncoding.parseQuery(vector.expected.query))
            #expect(pairs.map(\.0) == ["authorization", "date", "host"])
            #expect(pairs.map(\.1) == [vector.expected.authorization, vector.inputs.date, vector.inputs.host])
        }
    }

    @Test func knownEncodings() {
        #expect(FormURLEncoding.encode("Fri, 05 May 2023 10:43:39 GMT") == "Fri%2C+05+May+2023+10%3A43%3A39+GMT")
        #expect(FormURLEncoding.encode("a+b/c=d") == "a%2Bb%2Fc%3Dd")
        #expect(FormURLEncoding.encode("127.0.0.1:18080") == "127.0.0.1%3A18080")
        #expect(FormURLEncoding.encode("合") == "%E5%90%88")
        #expect(FormURLEncoding.encode("") == "")
    }

    @Test func decodeHandlesPlusPercentTwentyAndLowercaseHex() {
        #expect(FormURLEncoding.decode("a+b%20c%2c%2C") == "a b c,,")
        #expect(FormURLEncoding.decode("%e5%90%88") == "合")
    }

    @Test(arguments: ["%", "%2", "%zz", "%2G", "abc%", "%%41", "%FF", "%C3%28"])
    func decodeRejectsInvalidEscapesAndUTF8(text: String) {
        #expect(FormURLEncoding.decode(text) == nil)
    }

    @Test func everyPercentEscapeDecodes() {
        for byte in UInt8(0)...UInt8(255) {
            let hex = Array("0123456789ABCDEF")
            let decoded = FormURLEncoding.decode("%\(hex[Int(byte / 16)])\(hex[Int(byte % 16)])")
            if byte < 0x80 {
                #expect(decoded == String(UnicodeScalar(byte)))
            } else {
                #expect(decoded == nil)
            }
        }
    }

    @Test func parseQuerySplitsAndDecodes() throws {
        let pairs = try #require(FormURLEncoding.parseQuery("a=1&&b=x+y&c&d=&=e&f=a=b"))
        #expect(pairs.map(\.0) == ["a", "b", "c", "d", "", "f"])
        #expect(pairs.map(\.1) == ["1", "x y", "", "", "e", "a=b"])
        #expect(FormURLEncoding.parseQuery("")?.isEmpty == true)
        #expect(FormURLEncoding.parseQuery("a=%G1") == nil)
    }
}
