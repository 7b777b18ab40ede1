import HTTPCodec
import Testing

/// WHATWG HTML §9.2.5–9.2.6 behaviour, with the spec's own examples.
struct SSEParserTests {
    let verifier = SSEParserVerifier()

    @Test func specExampleMultiLineData() {
        let result = verifier.verify("data: YHOO\ndata: +2\ndata: 10\n\n")
        #expect(result.mismatch == nil)
        #expect(result.events == [SSEParsedEvent(data: "YHOO\n+2\n10")])
    }

    @Test func specExampleIDsAndComments() {
        let result = verifier.verify(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n")
        #expect(result.mismatch == nil)
        #expect(result.events == [
            SSEParsedEvent(data: "first event", lastEventID: "1"),
            SSEParsedEvent(data: "second event", lastEventID: ""),
            SSEParsedEvent(data: " third event", lastEventID: ""),
        ])
    }

    @Test func specExampleEmptyData() {
        // "The first block fires events with the data set to the empty string... The second
        // block fires an event with the data set to a single newline. The last block is
        // discarded because it is not followed by a blank line."
        let result = verifier.verify("data\n\ndata\ndata\n\ndata:")
        #expect(result.mismatch == nil)
        #expect(result.events == [SSEParsedEvent(data: ""), SSEParsedEvent(data: "\n")])
    }

    @Test func specExampleSpaceAfterColonIsOptional() {
        let result = verifier.verify("data:test\n\ndata: test\n\n")
        #expect(result.events == [SSEParsedEvent(data: "test"), SSEParsedEvent(data: "test")])
    }

    @Test func eventTypes() {
        let result = verifier.verify("event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\ndata: plain\n\n")
        #expect(result.mismatch == nil)
        #expect(result.events.map(\.type) == ["add", "remove", "message"])
    }

    @Test func lineEndingsMixAndSplitAcrossChunks() {
        let result = verifier.verify("data: a\r\ndata: b\rdata: c\n\r\nid: 7\r\rdata: d\r\r")
        #expect(result.mismatch == nil)
        #expect(result.events == [SSEParsedEvent(data: "a\nb\nc"), SSEParsedEvent(data: "d", lastEventID: "7")])

        var parser = SSEParser()
        #expect(parser.append(Array("data: x\r".utf8)).isEmpty)
        // The LF completing the CRLF arrives in the next chunk: still one line end, not two.
        #expect(parser.append(Array("\ndata: y\r".utf8)).isEmpty)
        #expect(parser.append(Array("\n\r\n".utf8)) == [SSEParsedEvent(data: "x\ny")])
    }

    @Test func leadingBOMIsSkippedOnce() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let result = verifier.verify(bom + Array("data: x\n\n".utf8))
        #expect(result.mismatch == nil)
        #expect(result.events == [SSEParsedEvent(data: "x")])
        // A second BOM is part of the field name, so the line is an unknown field.
        let twice = verifier.verify(bom + bom + Array("data: x\n\ndata: y\n\n".utf8))
        #expect(twice.events == [SSEParsedEvent(data: "y")])
        // A partial BOM is ordinary content.
        let partial = verifier.verify([0xEF, 0xBB] + Array(":c\ndata: z\n\n".utf8))
        #expect(partial.events == [SSEParsedEvent(data: "z")])
    }

    @Test func emptyDataResetsEventTypeWithoutDispatch() {
        let result = verifier.verify("event: custom\n\ndata: x\n\n")
        #expect(result.events == [SSEParsedEvent(type: "message", data: "x")])
    }

    @Test func idRules() {
        let result = verifier.verify("id: 1\ndata: a\n\nid: bad\u{0}id\ndata: b\n\ndata: c\n\nid: 2\n\nid: 3\ndata: d")
        #expect(result.mismatch == nil)
        #expect(result.events == [
            SSEParsedEvent(data: "a", lastEventID: "1"),
            SSEParsedEvent(data: "b", lastEventID: "1"),
            SSEParsedEvent(data: "c", lastEventID: "1"),
        ])
        // An id-only block still updates the last event ID; the unterminated block does not.
        #expect(result.lastEventID == "2")
    }

    @Test func retryRules() {
        #expect(verifier.verify("retry: 3000\n\n").retry == 3000)
        #expect(verifier.verify("retry: 3000\nretry: 12a\nretry: -5\nretry:\nretry:  7\n\n").retry == 3000)
        #expect(verifier.verify("retry:99999999999999999999999\n\n").retry == nil)
    }

    @Test func fieldsWithoutColonAndUnknownFields() {
        let result = verifier.verify("data\nfoo: bar\nDATA: no\nevent\ndata:x\n\n")
        #expect(result.events == [SSEParsedEvent(data: "\nx")])
    }

    @Test func utf8IsDecodedWithReplacement() {
        let result = verifier.verify(Array("data: caf\u{E9} \u{1F600} ".utf8) + [0xFF] + Array("\n\n".utf8))
        #expect(result.events == [SSEParsedEvent(data: "caf\u{E9} \u{1F600} \u{FFFD}")])
    }

    @Test func oversizedEventsAreDroppedAndCounted() {
        var parser = SSEParser(maxEventBytes: 16)
        let events = parser.append(Array("data: 0123456789abcdefghij\ndata: more\n\ndata: ok\n\n".utf8))
        #expect(events == [SSEParsedEvent(data: "ok")])
        #expect(parser.discardedEventCount == 1)
    }

    @Test func seededLastEventIDPersists() {
        var parser = SSEParser()
        parser.lastEventID = "s:4"
        #expect(parser.append(Array("data: x\n\n".utf8)) == [SSEParsedEvent(data: "x", lastEventID: "s:4")])
        #expect(parser.lastEventID == "s:4")
    }
}
