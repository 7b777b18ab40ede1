import JSON
import Testing

/// `JSONWriter`'s unescaped writers: constant keys, strings a closure appends, 64-bit integers as
/// decimal strings (protobuf's JSON mapping), each held to what the general writer produces.
@Suite struct JSONWriterPlainTests {
    @Test(arguments: [UInt64(0), 7, 10, 99, 1_000, 1_700_000_000_123_456_789, UInt64.max])
    func decimalStringsMatchStringConversion(value: UInt64) {
        var plain = JSONWriter()
        plain.decimalString(value)
        var general = JSONWriter()
        general.string(String(value))
        #expect(plain.bytes == general.bytes)
    }

    @Test(arguments: [Int64(0), -1, 42, -9_223_372_036_854_775_807, Int64.min, Int64.max])
    func signedDecimalStringsMatchStringConversion(value: Int64) {
        var plain = JSONWriter()
        plain.decimalString(value)
        var general = JSONWriter()
        general.string(String(value))
        #expect(plain.bytes == general.bytes)
    }

    @Test func plainKeysAndStringsSeparateLikeTheGeneralWriter() {
        var plain = JSONWriter()
        plain.beginObject()
        plain.plainKey("traceId")
        plain.plainString { $0 += Array("0af7651916cd43dd".utf8) }
        plain.plainKey("n")
        plain.decimalString(UInt64(12))
        plain.endObject()
        var general = JSONWriter()
        general.beginObject()
        general.key("traceId")
        general.string("0af7651916cd43dd")
        general.key("n")
        general.string("12")
        general.endObject()
        #expect(plain.bytes == general.bytes)
        #expect(String(decoding: plain.bytes, as: UTF8.self) == #"{"traceId":"0af7651916cd43dd","n":"12"}"#)
    }
}
