import HTTPCodec
import Testing

/// Property test: generated events encode, then parse back to the same type, data and ID.
struct SSERoundTripTests {
    /// Deterministic generator (64-bit LCG) so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static let pieces = ["a", "Z", " ", "  ", ":", "data:", "id", "\r", "\n", "\r\n", "\n\n", "\u{E9}", "\u{4E2D}", "\u{1F600}",
                         "\u{FEFF}", "\u{0}", "\t", "event", "\u{2028}", "{\"k\":[1,2]}", "\\", "retry: 5"]

    /// Random text; `singleLine` leaves out pieces with CR, LF or NUL (valid for id and event).
    private func string(_ g: inout Generator, maxPieces: Int, singleLine: Bool = false) -> String {
        let allowed = Self.pieces.filter { !singleLine || !$0.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }
        return (0..<g.next(maxPieces + 1)).map { _ in allowed[g.next(allowed.count)] }.joined()
    }

    private func normalized(_ text: String) -> String {
        var out: [UInt8] = []
        var previousWasCR = false
        for b in text.utf8 {
            if b == 0x0A, previousWasCR { previousWasCR = false; continue }
            previousWasCR = b == 0x0D
            out.append(b == 0x0D ? 0x0A : b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: [1, 2, 3, 4])
    func generatedStreamsRoundTrip(seed: Int) throws {
        var g = Generator(state: UInt64(seed))
        var stream: [UInt8] = []
        var expected: [SSEParsedEvent] = []
        var lastID = ""
        for _ in 0..<500 {
            let id: String? = g.next(3) == 0 ? nil : string(&g, maxPieces: 3, singleLine: true)
            let type: String? = g.next(2) == 0 ? nil : string(&g, maxPieces: 3, singleLine: true)
            let data = string(&g, maxPieces: 8)
            stream += try SSEEncoder.encode(SSEEvent(id: id, event: type, data: data))
            if let id { lastID = id }
            expected.append(SSEParsedEvent(type: (type ?? "").isEmpty ? "message" : type!, data: normalized(data), lastEventID: lastID))
        }
        var parser = SSEParser()
        var parsed: [SSEParsedEvent] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + 1 + g.next(40))
            parsed += parser.append(stream[offset..<end])
            offset = end
        }
        #expect(parsed.count == expected.count)
        #expect(parsed == expected)
        #expect(parser.lastEventID == lastID)
    }

    @Test func invalidFieldsAreAlwaysRejected() {
        var g = Generator(state: 99)
        for _ in 0..<300 {
            let id = string(&g, maxPieces: 4)
            let bad = id.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
            let threw = (try? SSEEncoder.encode(SSEEvent(id: id, data: "x"))) == nil
            #expect(threw == bad)
        }
    }
}
