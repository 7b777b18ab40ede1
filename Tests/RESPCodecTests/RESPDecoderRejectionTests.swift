import Testing
import RESPCodec

@Suite struct RESPDecoderRejectionTests {
    /// Decodes `input` through every feed and expects `kind` after the values in `before`.
    func expectRejects(_ input: String, _ kind: RESPDecodingError.Kind, before: [RESPValue] = [],
                       limits: RESPDecoderLimits = RESPDecoderLimits(), sourceLocation: SourceLocation = #_sourceLocation) {
        var verifier = DecoderVerifier()
        verifier.limits = limits
        let outcome = verifier.verify(input)
        #expect(outcome.mismatch == nil, sourceLocation: sourceLocation)
        #expect(outcome.error == kind, sourceLocation: sourceLocation)
        #expect(outcome.values == before, sourceLocation: sourceLocation)
    }

    @Test func unknownAndStreamedTypes() {
        expectRejects("?x\r\n", .unknownType)
        expectRejects("+OK\r\nhello\r\n", .unknownType, before: [.simpleString("OK")])
        expectRejects("\r\n", .unknownType)
        expectRejects("$?\r\n;4\r\nHell\r\n;0\r\n", .streamedTypeUnsupported)
        expectRejects("*?\r\n:1\r\n.\r\n", .streamedTypeUnsupported)
        expectRejects("%?\r\n", .streamedTypeUnsupported)
        expectRejects(";4\r\n", .streamedTypeUnsupported)
        expectRejects(".\r\n", .streamedTypeUnsupported)
    }

    @Test func lineEndings() {
        expectRejects("+OK\n", .invalidLineEnding)
        expectRejects("+O\rK\r\n", .invalidLineEnding)
        expectRejects(":1\r\r\n", .invalidLineEnding)
        expectRejects("$3\r\nabcd\r\n", .invalidLineEnding)
        expectRejects("$3\r\nabc\n\r", .invalidLineEnding)
    }

    @Test func lengths() {
        expectRejects("$\r\n", .invalidLength)
        expectRejects("$-2\r\n", .invalidLength)
        expectRejects("$+3\r\nabc\r\n", .invalidLength)
        expectRejects("$3x\r\n", .invalidLength)
        expectRejects("* 1\r\n", .invalidLength)
        expectRejects("%-1\r\n", .invalidLength)
        expectRejects("!-1\r\n", .invalidLength)
        expectRejects(">-1\r\n", .invalidLength)
        expectRejects("$99999999999999999999999999\r\n", .bulkTooLong)
        expectRejects("*99999999999999999999999999\r\n", .aggregateTooLarge)
    }

    @Test func scalarSyntax() {
        expectRejects(":\r\n", .invalidInteger)
        expectRejects(":-\r\n", .invalidInteger)
        expectRejects(":1.5\r\n", .invalidInteger)
        expectRejects(": 1\r\n", .invalidInteger)
        expectRejects(":9223372036854775808\r\n", .integerOutOfRange)
        expectRejects(":-9223372036854775809\r\n", .integerOutOfRange)
        expectRejects(",\r\n", .invalidDouble)
        expectRejects(",.5\r\n", .invalidDouble)
        expectRejects(",1.\r\n", .invalidDouble)
        expectRejects(",1e\r\n", .invalidDouble)
        expectRejects(",0x1p3\r\n", .invalidDouble)
        expectRejects(",infinite\r\n", .invalidDouble)
        expectRejects(",nan(\r\n", .invalidDouble)
        expectRejects("#x\r\n", .invalidBoolean)
        expectRejects("#\r\n", .invalidBoolean)
        expectRejects("#tt\r\n", .invalidBoolean)
        expectRejects("(\r\n", .invalidBigNumber)
        expectRejects("(12a\r\n", .invalidBigNumber)
        expectRejects("(1.5\r\n", .invalidBigNumber)
        expectRejects("_x\r\n", .invalidNull)
    }

    @Test func verbatim() {
        expectRejects("=3\r\ntxt\r\n", .invalidVerbatim)
        expectRejects("=5\r\ntxt-x\r\n", .invalidVerbatim)
        expectRejects("=5\r\nt\rt:x\r\n", .invalidVerbatim)
        expectRejects("=-1\r\n", .invalidLength)
    }

    @Test func nestedPush() {
        expectRejects("*1\r\n>1\r\n:1\r\n", .nestedPush)
        expectRejects("%1\r\n+k\r\n>0\r\n", .nestedPush)
    }

    @Test func limits() {
        let small = RESPDecoderLimits(maxBulkLength: 4, maxAggregateCount: 2, maxDepth: 2, maxLineLength: 5, maxReplyBytes: 40)
        expectRejects("$5\r\nhello\r\n", .bulkTooLong, limits: small)
        expectRejects("!5\r\n", .bulkTooLong, limits: small)
        expectRejects("*3\r\n", .aggregateTooLarge, limits: small)
        expectRejects("%3\r\n", .aggregateTooLarge, limits: small)
        expectRejects("*1\r\n*1\r\n*1\r\n:1\r\n", .nestingTooDeep, limits: small)
        expectRejects("*1\r\n%1\r\n|1\r\n", .nestingTooDeep, limits: small)
        expectRejects("*1\r\n*0\r\n", .nestingTooDeep, before: [], limits: RESPDecoderLimits(maxDepth: 1))
        expectRejects("+123456\r\n", .lineTooLong, limits: small)
        // Detected from the partial line, before its CRLF arrives.
        expectRejects("+123456", .lineTooLong, limits: small)
        // Within every other limit, but 44 bytes in one reply.
        expectRejects("*2\r\n*2\r\n:12345\r\n:12345\r\n*2\r\n:12345\r\n:12345\r\n", .replyTooLarge, limits: small)
        // The reply budget is checked from the blob header (36 bytes read, 10 announced).
        expectRejects("*2\r\n*2\r\n$4\r\nabcd\r\n$4\r\nabcd\r\n*2\r\n$4\r\n", .replyTooLarge, limits: small)
        // Accepted at the limits, and the budget restarts per reply.
        var verifier = DecoderVerifier()
        verifier.limits = small
        let outcome = verifier.verify("$4\r\nabcd\r\n*2\r\n*2\r\n:1\r\n:2\r\n+12345\r\n$4\r\nabcd\r\n")
        #expect(outcome.mismatch == nil)
        #expect(outcome.error == nil)
        #expect(outcome.values.count == 3)
    }

    @Test func hugeAnnouncedCountsDoNotAllocate() throws {
        // A million-element claim with no bytes behind it is accepted and simply waits.
        var decoder = RESPDecoder()
        decoder.append(Array("*1048576\r\n".utf8))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func errorsNameTheRuleNotThePayload() {
        var decoder = RESPDecoder()
        decoder.append(Array(":secret-token\r\n".utf8))
        #expect(throws: RESPDecodingError.self) { try decoder.next() }
        do {
            _ = try decoder.next()
        } catch {
            #expect(error.kind == .invalidInteger)
            #expect(!error.description.contains("secret"))
        }
    }
}
