import RelayTestSupport
import Testing
import HTTPCodec

/// The SSE and chunk encoders' exactly sized buffers against plain appends that follow the
/// specifications (WHATWG HTML §9.2.6 event stream format, RFC 9112 §7.1 chunked coding), for every
/// payload length 0...300 at every start offset 0...7 inside its storage. Run in debug and release.
@Suite struct EncoderDifferentialTests {
    /// `event:` and `id:` fields (CR, LF and, in ids, NUL removed), then one `data:` line per line of
    /// `data` (split at CRLF, CR or LF), then a blank line.
    static func referenceSSE(_ data: [UInt8], id: String?, event: String?) -> [UInt8] {
        var out: [UInt8] = []
        if let event { out += Array("event: ".utf8) + event.utf8.filter { $0 != 0x0A && $0 != 0x0D } + [0x0A] }
        if let id { out += Array("id: ".utf8) + id.utf8.filter { $0 != 0x0A && $0 != 0x0D && $0 != 0 } + [0x0A] }
        var lines: [[UInt8]] = [[]]
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == 0x0D || byte == 0x0A {
                lines.append([])
                if byte == 0x0D, index + 1 < data.count, data[index + 1] == 0x0A { index += 1 }
            } else {
                lines[lines.count - 1].append(byte)
            }
            index += 1
        }
        for line in lines { out += Array("data: ".utf8) + line + [0x0A] }
        return out + [0x0A]
    }

    static let headers: [(id: String?, event: String?)] = [
        (nil, nil), ("7e4a:12", nil), ("7e4a:12", "done"), (nil, "stream-error"), ("a\nb\0c", "x\ry"),
    ]

    @Test func sseDataMatchesTheReference() {
        let problems = DifferentialInputs.mismatches(seed: 0x7373_6564, odd: 0x0A) { bytes, offset in
            let (storage, range) = DifferentialInputs.embed(bytes, at: offset)
            for header in Self.headers {
                let encoded = SSEEncoder.encodeData(json: storage[range], id: header.id, event: header.event)
                if encoded != Self.referenceSSE(bytes, id: header.id, event: header.event) {
                    return "id \(String(describing: header.id)), event \(String(describing: header.event)) differ"
                }
            }
            return nil
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func sseDataWithCarriageReturnsMatchesTheReference() {
        let problems = DifferentialInputs.mismatches(seed: 0x7373_6563, odd: 0x0D) { bytes, offset in
            let (storage, range) = DifferentialInputs.embed(bytes, at: offset)
            let encoded = SSEEncoder.encodeData(json: storage[range], id: "s:1", event: nil)
            return encoded == Self.referenceSSE(bytes, id: "s:1", event: nil) ? nil : "differs"
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func chunksMatchTheReference() {
        let problems = DifferentialInputs.mismatches(seed: 0x6368_756E) { bytes, offset in
            let (storage, range) = DifferentialInputs.embed(bytes, at: offset)
            let encoded = HTTPResponseEncoder.encodeChunk(storage[range])
            let expected = bytes.isEmpty ? [] : Array(String(bytes.count, radix: 16).utf8) + [0x0D, 0x0A] + bytes + [0x0D, 0x0A]
            return encoded == expected ? nil : "differs"
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// The array overload writes the size's hex digits itself: every size up to 4,200 (one to four
    /// digits) and each later digit boundary, against `String(radix: 16)`.
    @Test func arrayChunksMatchTheReferenceAtEverySize() {
        var sizes = Array(0...4_200)
        sizes += [0xFFFF, 0x10000, 0x10001, 0xFFFFF, 0x100000, 0x1000000, 3_000_001]
        var failures: [Int] = []
        for size in sizes {
            let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: size), count: size)
            let encoded = HTTPResponseEncoder.encodeChunk(bytes)
            let header = Array(String(size, radix: 16).utf8) + [0x0D, 0x0A]
            let ok = size == 0 ? encoded.isEmpty
                : encoded.count == header.count + size + 2 && encoded.prefix(header.count).elementsEqual(header)
                    && encoded.suffix(2).elementsEqual([0x0D, 0x0A]) && encoded[header.count..<(header.count + size)].elementsEqual(bytes)
            if !ok { failures.append(size) }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }
}
