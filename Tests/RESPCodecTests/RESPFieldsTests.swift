import RESPCodec
import Testing

/// `fields`: a hash or stream entry's fields from a RESP2 flat array or a RESP3 map.
@Suite struct RESPFieldsTests {
    @Test func flatArraysAndMapsGiveTheSameTable() {
        let flat = RESPValue.array([.bulkString(Array("t".utf8)), .bulkString(Array("12".utf8)),
                                    .simpleString("r"), .bulkString(Array("3".utf8))])
        let map = RESPValue.map([RESPPair(.bulkString(Array("t".utf8)), .bulkString(Array("12".utf8))),
                                 RESPPair(.simpleString("r"), .simpleString("3"))])
        let expected: [String: [UInt8]] = ["t": Array("12".utf8), "r": Array("3".utf8)]
        #expect(flat.fields == expected)
        #expect(map.fields == expected)
        #expect(RESPValue.array([]).fields == [:])
    }

    @Test func oddCountsAndNonStringsAreRefused() {
        #expect(RESPValue.array([.bulkString(Array("t".utf8))]).fields == nil)
        #expect(RESPValue.array([.bulkString(Array("t".utf8)), .integer(1)]).fields == nil)
        #expect(RESPValue.integer(1).fields == nil)
        #expect(RESPValue.null.fields == nil)
    }
}
