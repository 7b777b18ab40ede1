import Testing
import RESPCodec

@Suite struct RESPDecoderTests {
    let verifier = DecoderVerifier()

    /// Decodes `input` through every feed and expects exactly `expected`, nothing left over.
    func expectDecodes(_ input: String, _ expected: [RESPValue], verifier: DecoderVerifier? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let outcome = (verifier ?? self.verifier).verify(input)
        #expect(outcome.mismatch == nil, sourceLocation: sourceLocation)
        #expect(outcome.error == nil, sourceLocation: sourceLocation)
        #expect(outcome.values == expected, sourceLocation: sourceLocation)
        #expect(outcome.leftover == 0, sourceLocation: sourceLocation)
    }

    @Test func simpleStringAndError() {
        expectDecodes("+OK\r\n", [.simpleString("OK")])
        expectDecodes("+\r\n", [.simpleString("")])
        expectDecodes("+hello world\r\n", [.simpleString("hello world")])
        expectDecodes("-ERR unknown command 'FOO'\r\n", [.error("ERR unknown command 'FOO'")])
        expectDecodes("-WRONGTYPE Operation against a key\r\n", [.error("WRONGTYPE Operation against a key")])
    }

    @Test func simpleTextWithInvalidUTF8IsRepaired() {
        let outcome = verifier.verify([UInt8(ascii: "+"), 0x61, 0xFF, 0x62, 0x0D, 0x0A])
        #expect(outcome.values == [.simpleString("a\u{FFFD}b")])
    }

    @Test func integers() {
        expectDecodes(":0\r\n", [.integer(0)])
        expectDecodes(":1000\r\n", [.integer(1000)])
        expectDecodes(":-42\r\n", [.integer(-42)])
        expectDecodes(":+7\r\n", [.integer(7)])
        expectDecodes(":9223372036854775807\r\n", [.integer(.max)])
        expectDecodes(":-9223372036854775808\r\n", [.integer(.min)])
    }

    @Test func bulkStrings() {
        expectDecodes("$5\r\nhello\r\n", [.bulkString(Array("hello".utf8))])
        expectDecodes("$0\r\n\r\n", [.bulkString([])])
        expectDecodes("$-1\r\n", [.null])
        // Binary safe: CR, LF and NUL inside the body.
        expectDecodes("$6\r\na\r\nb\0c\r\n", [.bulkString([0x61, 0x0D, 0x0A, 0x62, 0x00, 0x63])])
    }

    @Test func nullAndBoolean() {
        expectDecodes("_\r\n", [.null])
        expectDecodes("#t\r\n#f\r\n", [.boolean(true), .boolean(false)])
    }

    @Test func doubles() {
        expectDecodes(",1.23\r\n", [.double(1.23)])
        expectDecodes(",10\r\n", [.double(10)])
        expectDecodes(",-0.5\r\n", [.double(-0.5)])
        expectDecodes(",1.5e3\r\n,2E-2\r\n,3e+1\r\n", [.double(1500), .double(0.02), .double(30)])
        expectDecodes(",inf\r\n,-inf\r\n", [.double(.infinity), .double(-.infinity)])
        expectDecodes(",nan\r\n,-nan\r\n,NAN\r\n,nan(0x1)\r\n", [.double(.nan), .double(.nan), .double(.nan), .double(.nan)])
    }

    @Test func bigNumbers() {
        expectDecodes("(3492890328409238509324850943850943825024385\r\n", [.bigNumber("3492890328409238509324850943850943825024385")])
        expectDecodes("(-3492890328409238509324850943850943825024385\r\n", [.bigNumber("-3492890328409238509324850943850943825024385")])
    }

    @Test func bulkErrorAndVerbatim() {
        expectDecodes("!21\r\nSYNTAX invalid syntax\r\n", [.bulkError("SYNTAX invalid syntax")])
        expectDecodes("=15\r\ntxt:Some string\r\n", [.verbatimString(format: "txt", text: Array("Some string".utf8))])
        expectDecodes("=4\r\nmkd:\r\n", [.verbatimString(format: "mkd", text: [])])
    }

    @Test func arrays() {
        expectDecodes("*0\r\n", [.array([])])
        expectDecodes("*-1\r\n", [.null])
        expectDecodes("*3\r\n:1\r\n:2\r\n:3\r\n", [.array([.integer(1), .integer(2), .integer(3)])])
        expectDecodes("*2\r\n*3\r\n:1\r\n$5\r\nhello\r\n:2\r\n#f\r\n",
                      [.array([.array([.integer(1), .bulkString(Array("hello".utf8)), .integer(2)]), .boolean(false)])])
        expectDecodes("*2\r\n$-1\r\n*0\r\n", [.array([.null, .array([])])])
    }

    @Test func mapsAndSets() {
        expectDecodes("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
                      [.map([RESPPair(.simpleString("first"), .integer(1)), RESPPair(.simpleString("second"), .integer(2))])])
        expectDecodes("%0\r\n", [.map([])])
        expectDecodes("~3\r\n+orange\r\n+apple\r\n#t\r\n",
                      [.set([.simpleString("orange"), .simpleString("apple"), .boolean(true)])])
        // Keys of any type, duplicates kept in wire order.
        expectDecodes("%2\r\n*1\r\n:1\r\n_\r\n*1\r\n:1\r\n#t\r\n",
                      [.map([RESPPair(.array([.integer(1)]), .null), RESPPair(.array([.integer(1)]), .boolean(true))])])
    }

    @Test func pushesAreReturnedAtTopLevelAmongReplies() {
        expectDecodes(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n$9\r\nGet-Reply\r\n", [
            .push([.bulkString(Array("message".utf8)), .bulkString(Array("ch".utf8)), .bulkString(Array("hi".utf8))]),
            .bulkString(Array("Get-Reply".utf8)),
        ])
    }

    @Test func attributesAreSkippedByDefault() {
        let input = "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n"
        expectDecodes(input, [.array([.integer(2_039_123), .integer(9_543_892)])])
        expectDecodes("*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n", [.array([.integer(1), .integer(2), .integer(3)])])
    }

    @Test func attributesAttachToTheValueTheyPrecede() {
        var attach = DecoderVerifier()
        attach.attributes = .attach
        let ttl = [RESPPair(.simpleString("ttl"), .integer(3600))]
        expectDecodes("*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n",
                      [.array([.integer(1), .integer(2), .attributed(ttl, .integer(3))])], verifier: attach)
        expectDecodes("|1\r\n+ttl\r\n:3600\r\n+OK\r\n", [.attributed(ttl, .simpleString("OK"))], verifier: attach)
        // Two attributes in a row nest, outermost first; an empty one still attaches.
        expectDecodes("|0\r\n|1\r\n+ttl\r\n:3600\r\n_\r\n", [.attributed([], .attributed(ttl, .null))], verifier: attach)
        // An attribute inside an attribute describes that attribute's next value.
        expectDecodes("|1\r\n|1\r\n+ttl\r\n:3600\r\n+k\r\n+v\r\n:1\r\n",
                      [.attributed([RESPPair(.attributed(ttl, .simpleString("k")), .simpleString("v"))], .integer(1))], verifier: attach)
    }

    @Test func severalRepliesInOneRead() {
        expectDecodes("+OK\r\n:1\r\n$3\r\nabc\r\n_\r\n", [.simpleString("OK"), .integer(1), .bulkString(Array("abc".utf8)), .null])
    }

    @Test func partialInputIsKeptUntilComplete() throws {
        let outcome = verifier.verify("+OK\r\n*2\r\n:1\r\n$5\r\nhel")
        #expect(outcome.mismatch == nil)
        #expect(outcome.values == [.simpleString("OK")])
        #expect(outcome.error == nil)
        var decoder = RESPDecoder()
        decoder.append(Array("*2\r\n:1\r\n".utf8))
        #expect(try decoder.next() == nil)
        #expect(!decoder.isIdle)
        decoder.append(Array(":2\r\n".utf8))
        #expect(try decoder.next() == .array([.integer(1), .integer(2)]))
        #expect(decoder.isIdle)
    }

    @Test func largeReplyInManyPiecesIsDecodedInOrder() throws {
        // 20,000 elements arriving in 7-byte reads: crosses the compaction threshold many times.
        var wire = Array("*20000\r\n".utf8)
        for index in 0..<20_000 { wire += Array("$\(String(index).utf8.count)\r\n\(index)\r\n".utf8) }
        var decoder = RESPDecoder()
        var values: [RESPValue] = []
        var start = 0
        while start < wire.count {
            decoder.append(wire[start..<min(wire.count, start + 7)])
            start += 7
            while let value = try decoder.next() { values.append(value) }
        }
        #expect(values.count == 1)
        #expect(values.first?.elements?.count == 20_000)
        #expect(values.first?.elements?.last?.string == "19999")
        #expect(decoder.isIdle)
    }

    @Test func rawBufferAppend() throws {
        var decoder = RESPDecoder()
        Array("+PONG\r\n".utf8).withUnsafeBytes { decoder.append($0) }
        #expect(try decoder.next() == .simpleString("PONG"))
    }

    @Test func accessors() {
        #expect(RESPValue.bulkString(Array("x".utf8)).string == "x")
        #expect(RESPValue.simpleString("OK").bytes == Array("OK".utf8))
        #expect(RESPValue.integer(3).integer == 3)
        #expect(RESPValue.error("ERR x").errorMessage == "ERR x")
        #expect(RESPValue.bulkError("SYNTAX y").errorMessage == "SYNTAX y")
        #expect(RESPValue.set([.null]).elements == [.null])
        #expect(RESPValue.attributed([], .null).isNull)
        #expect(RESPValue.integer(3).string == nil)
    }

    @Test func descriptionNeverShowsPayloads() {
        #expect(RESPValue.bulkString(Array("secret".utf8)).description == "bulk string (6 bytes)")
        #expect(!RESPValue.simpleString("secret").description.contains("secret"))
        #expect(RESPValue.error("WRONGPASS invalid username-password pair").description == "error WRONGPASS")
    }
}
