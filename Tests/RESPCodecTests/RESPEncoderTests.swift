import Testing
import RESPCodec

@Suite struct RESPEncoderTests {
    @Test func commandsAreArraysOfBulkStrings() {
        let command = RESPCommand("SET", "key", "value")
        #expect(RESPEncoder.encode(command) == Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".utf8))
        var binary = RESPCommand("set", binaryArguments: [[0x0D, 0x0A]])
        binary.append(42)
        binary.append("")
        #expect(RESPEncoder.encode(binary) == Array("*4\r\n$3\r\nset\r\n$2\r\n\r\n\r\n$2\r\n42\r\n$0\r\n\r\n".utf8))
        #expect(binary.name == "SET")
    }

    @Test func pipelinedCommandsShareOneBuffer() throws {
        var buffer: [UInt8] = []
        RESPEncoder.encode(RESPCommand("PING"), into: &buffer)
        RESPEncoder.encode(RESPCommand("GET", arguments: ["k"]), into: &buffer)
        #expect(buffer == Array("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8))
    }

    @Test func commandDescriptionHidesArguments() {
        let hello = RESPCommand("HELLO", "3", "AUTH", "default", "hunter2")
        #expect(hello.description == "HELLO (4 arguments)")
        #expect(!String(describing: hello).contains("hunter2"))
    }

    @Test func scalarWireForms() throws {
        #expect(try RESPEncoder.encode(.simpleString("OK")) == Array("+OK\r\n".utf8))
        #expect(try RESPEncoder.encode(.error("ERR x")) == Array("-ERR x\r\n".utf8))
        #expect(try RESPEncoder.encode(.integer(-5)) == Array(":-5\r\n".utf8))
        #expect(try RESPEncoder.encode(.null) == Array("_\r\n".utf8))
        #expect(try RESPEncoder.encode(.boolean(true)) == Array("#t\r\n".utf8))
        #expect(try RESPEncoder.encode(.double(1.5)) == Array(",1.5\r\n".utf8))
        #expect(try RESPEncoder.encode(.double(-.infinity)) == Array(",-inf\r\n".utf8))
        #expect(try RESPEncoder.encode(.double(.nan)) == Array(",nan\r\n".utf8))
        #expect(try RESPEncoder.encode(.bigNumber("-12")) == Array("(-12\r\n".utf8))
        #expect(try RESPEncoder.encode(.bulkError("SYNTAX x")) == Array("!8\r\nSYNTAX x\r\n".utf8))
        #expect(try RESPEncoder.encode(.verbatimString(format: "txt", text: Array("a".utf8))) == Array("=5\r\ntxt:a\r\n".utf8))
    }

    @Test func invalidValuesThrowAndLeaveTheBufferAlone() {
        var buffer = Array("keep".utf8)
        #expect(throws: RESPEncodingError(.lineBreakInSimpleText, "simple strings and errors cannot contain CR or LF")) {
            try RESPEncoder.encode(.array([.integer(1), .simpleString("a\r\nb")]), into: &buffer)
        }
        #expect(buffer == Array("keep".utf8))
        #expect(throws: RESPEncodingError.self) { try RESPEncoder.encode(.error("x\n")) }
        for bad in ["", "-", "1.5", "+", "12a"] {
            #expect(throws: RESPEncodingError.self) { try RESPEncoder.encode(.bigNumber(bad)) }
        }
        for bad in ["tx", "txtt", "t:t", "t t", "té"] {
            #expect(throws: RESPEncodingError.self) { try RESPEncoder.encode(.verbatimString(format: bad, text: [])) }
        }
        #expect(throws: RESPEncodingError.self) { try RESPEncoder.encode(.array([.push([])])) }
        #expect(throws: RESPEncodingError.self) { try RESPEncoder.encode(.attributed([RESPPair(.push([]), .null)], .null)) }
    }

    /// Every kind of value, nested, survives encode → decode (whole, byte by byte, every split).
    @Test func roundTrip() throws {
        let pair = RESPPair(.simpleString("ttl"), .double(.nan))
        let values: [RESPValue] = [
            .simpleString("OK"), .simpleString(""), .error("ERR é"), .integer(.min), .integer(.max),
            .bulkString([0, 13, 10, 255]), .bulkString([]), .null, .boolean(false),
            .double(0.1), .double(-0.0), .double(1e300), .double(.leastNonzeroMagnitude), .double(.infinity), .double(.nan),
            .bigNumber("+123456789012345678901234567890"), .bulkError("ERR\r\nmulti-line"),
            .verbatimString(format: "mkd", text: Array("# title\r\n".utf8)),
            .array([.array([]), .set([.integer(1), .integer(1)]), .map([pair, pair])]),
            .push([.bulkString(Array("message".utf8)), .attributed([pair], .null)]),
            .attributed([pair], .push([])),
            .attributed([], .attributed([RESPPair(.attributed([pair], .null), .map([]))], .array([.null]))),
        ]
        var verifier = DecoderVerifier()
        verifier.attributes = .attach
        for value in values {
            let wire = try RESPEncoder.encode(value)
            let outcome = verifier.verify(wire)
            #expect(outcome.mismatch == nil)
            #expect(outcome.error == nil, "\(value)")
            #expect(outcome.values == [value], "\(value)")
        }
    }

    @Test func nanEqualsNanOnlyInsideRESPValue() {
        #expect(RESPValue.double(.nan) == .double(.nan))
        #expect(RESPValue.double(1) != .double(.nan))
        #expect(RESPValue.double(0) == .double(-0.0))
        #expect(RESPValue.integer(1) != .double(1))
    }
}
