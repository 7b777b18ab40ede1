import HTTPCodec
import Testing

struct SSEEncoderTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func fieldOrder() throws {
        let bytes = try SSEEncoder.encode(SSEEvent(id: "s:1", event: "delta", data: "{\"a\":1}", retry: 3000))
        #expect(text(bytes) == "event: delta\nid: s:1\nretry: 3000\ndata: {\"a\":1}\n\n")
    }

    @Test func dataIsSplitOnEveryLineEnding() throws {
        let bytes = try SSEEncoder.encode(SSEEvent(data: "a\r\nb\rc\nd\n"))
        #expect(text(bytes) == "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n")
        #expect(text(try SSEEncoder.encode(SSEEvent(data: ""))) == "data: \n\n")
        #expect(text(try SSEEncoder.encode(SSEEvent(data: " lead"))) == "data:  lead\n\n")
    }

    @Test func rejectsLineBreaksInIDAndEvent() {
        #expect(throws: SSEEncodingError(.invalidID)) { try SSEEncoder.encode(SSEEvent(id: "1\n2", data: "x")) }
        #expect(throws: SSEEncodingError(.invalidID)) { try SSEEncoder.encode(SSEEvent(id: "1\r", data: "x")) }
        #expect(throws: SSEEncodingError(.invalidID)) { try SSEEncoder.encode(SSEEvent(id: "1\u{0}", data: "x")) }
        #expect(throws: SSEEncodingError(.invalidEventType)) { try SSEEncoder.encode(SSEEvent(event: "a\nb", data: "x")) }
        #expect(throws: SSEEncodingError(.invalidRetry)) { try SSEEncoder.encode(SSEEvent(data: "x", retry: -1)) }
        #expect(throws: Never.self) { try SSEEncoder.encode(SSEEvent(id: "", event: "a\u{0}b", data: "x")) }
    }

    @Test func jsonFastPath() {
        let json = Array("{\"text\":\"hi\"}".utf8)
        #expect(text(SSEEncoder.encodeData(json: json, id: "s:2", event: nil)) == "id: s:2\ndata: {\"text\":\"hi\"}\n\n")
        #expect(text(SSEEncoder.encodeData(json: Array("a\nb".utf8), id: nil, event: "e")) == "event: e\ndata: a\ndata: b\n\n")
        // Line breaks (and NUL in the id) are stripped instead of thrown.
        #expect(text(SSEEncoder.encodeData(json: json, id: "1\r\n2\u{0}", event: "x\ny")) == "event: xy\nid: 12\ndata: {\"text\":\"hi\"}\n\n")
    }

    @Test func commentsAndRetry() {
        #expect(text(SSEEncoder.comment("ping")) == ": ping\n\n")
        #expect(text(SSEEncoder.comment("a\r\nb")) == ": ab\n\n")
        #expect(text(SSEEncoder.comment("")) == ":\n\n")
        #expect(text(SSEEncoder.retry(milliseconds: 3000)) == "retry: 3000\n\n")
        #expect(text(SSEEncoder.retry(milliseconds: -5)) == "retry: 0\n\n")
        var parser = SSEParser()
        #expect(parser.append(SSEEncoder.comment("ping") + SSEEncoder.retry(milliseconds: 1500)).isEmpty)
        #expect(parser.retry == 1500)
    }
}
