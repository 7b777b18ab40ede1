import HTTPCodec
import Testing

/// `SSEEventDecoder` (the upstream hot path) held to `SSEParser` (byte by byte, the reference) on
/// hand-picked corners and on seeded random streams split at random places.
@Suite struct SSEEventDecoderTests {
    /// Decodes `bytes` in pieces of `pieceSizes` (cycled) and reports events as `SSEParser` does.
    private func decode(_ bytes: [UInt8], pieceSizes: [Int], maxEventBytes: Int = 1 << 20) -> ([SSEParsedEvent], SSEEventDecoder) {
        var decoder = SSEEventDecoder(maxEventBytes: maxEventBytes)
        var events: [SSEEventDecoder.Event] = []
        var start = 0
        var piece = 0
        while start < bytes.count {
            let end = min(bytes.count, start + max(1, pieceSizes[piece % pieceSizes.count]))
            decoder.append(Array(bytes[start..<end]), into: &events)
            start = end
            piece += 1
        }
        let parsed = events.map {
            SSEParsedEvent(type: $0.typeName, data: String(decoding: $0.data, as: UTF8.self),
                           lastEventID: String(decoding: $0.lastEventID, as: UTF8.self))
        }
        return (parsed, decoder)
    }

    private func expectAgreement(_ bytes: [UInt8], maxEventBytes: Int = 1 << 20, sourceLocation: SourceLocation = #_sourceLocation) {
        var parser = SSEParser(maxEventBytes: maxEventBytes)
        let expected = parser.append(bytes)
        for sizes in [[bytes.count], [1], [2], [3, 1], [7], [1, 5, 2]] {
            let (events, decoder) = decode(bytes, pieceSizes: sizes, maxEventBytes: maxEventBytes)
            #expect(events == expected, "pieces \(sizes)", sourceLocation: sourceLocation)
            #expect(decoder.retry == parser.retry, sourceLocation: sourceLocation)
            #expect(decoder.discardedEventCount == parser.discardedEventCount, sourceLocation: sourceLocation)
        }
    }

    @Test func sparksNoSpaceDataLinesAndDone() {
        let stream = Array("data:{\"a\":1}\n\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\n\n".utf8)
        let (events, _) = decode(stream, pieceSizes: [stream.count])
        #expect(events.map(\.data) == [#"{"a":1}"#, #"{"b":2}"#, "[DONE]"])
        expectAgreement(stream)
    }

    @Test(arguments: [
        "\u{FEFF}data: bom\n\n",
        "\u{FEFF}\u{FEFF}data: two boms\n\n",
        ": comment\ndata: a\ndata: b\n\n",
        "data\n\ndata:\n\ndata: x\rdata: y\r\r",
        "event: add\nid: 7\ndata: typed\n\nid\ndata: cleared\n\n",
        "id: a\u{0}b\ndata: nul id ignored\n\n",
        "retry: 1500\nretry: 12x\nretry: 99999999999999999999\ndata: r\n\n",
        "data: no blank line at the end",
        "field without colon\ndata:  two spaces\n\n",
        "data: 你好😀\n\n",
        "\r\n\r\n\n\ndata: after blanks\n\n",
    ])
    func agreesWithTheReferenceParser(text: String) {
        expectAgreement(Array(text.utf8))
    }

    @Test func aCROnlyThenLFInTheNextReadIsOneLineEnd() {
        var decoder = SSEEventDecoder()
        var events: [SSEEventDecoder.Event] = []
        decoder.append(Array("data: a\r".utf8), into: &events)
        decoder.append(Array("\ndata: b\r".utf8), into: &events)
        decoder.append(Array("\n\r\n".utf8), into: &events)
        #expect(events.map { String(decoding: $0.data, as: UTF8.self) } == ["a\nb"])
    }

    @Test func anEventOverTheBoundIsDroppedUpToItsBlankLine() {
        let long = "data: " + String(repeating: "x", count: 100) + "\n\ndata: ok\n\n"
        let (events, decoder) = decode(Array(long.utf8), pieceSizes: [9], maxEventBytes: 32)
        #expect(events.map(\.data) == ["ok"])
        #expect(decoder.discardedEventCount == 1)
        for bound in [1, 5, 8, 9, 10, 31, 32, 33, 106, 107, 200] {
            expectAgreement(Array(long.utf8), maxEventBytes: bound)
        }
    }

    @Test func seededRandomStreamsAgreeWithTheReference() {
        let alphabet = Array("data:eventidry 0123456789\r\n\n\n:\u{0}".utf8) + [0xEF, 0xBB, 0xBF, 0xE4, 0xBD, 0xA0]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<400 {
            let length = next() % 200
            let bytes = (0..<length).map { _ in alphabet[next() % alphabet.count] }
            expectAgreement(bytes, maxEventBytes: 1 + next() % 80)
        }
    }
}
