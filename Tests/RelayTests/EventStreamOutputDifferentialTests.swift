import HTTPCodec
import RelayTestSupport
import Testing
@testable import Relay

/// `EventStreamOutput.encodeOneLine` writes each SSE event into one exactly sized buffer; against a
/// plain append of the same fields for every data length 0...300 and every shift 0...7 of where the
/// data lands in the output (a longer stream id), with random and adversarial bytes (CR and LF take
/// the general encoder). Run in debug and in `swift test -c release`.
@Suite struct EventStreamOutputDifferentialTests {
    @Test(arguments: [0, 7, 12345])
    func oneLineEventsMatchAPlainAppend(sequence: Int) {
        let output = EventStreamOutput(retryMilliseconds: 1000)
        let problems = DifferentialInputs.mismatches(seed: 0x6576_6E74 &+ UInt64(sequence), odd: 0x0A) { bytes, offset in
            let streamID = "72473c040c873553c3dc6ee28f9bee25" + String(repeating: "x", count: offset)
            for kind in [StreamEvent.Kind.data, .done, .error] {
                let event = StreamEvent(sequence: sequence, kind: kind, json: bytes)
                guard case .write(let encoded) = output.encode(event, streamID: streamID) else { return "no bytes" }
                var expected: [UInt8] = []
                switch kind {
                case .data: break
                case .done: expected += Array("event: done\n".utf8)
                case .error: expected += Array("event: stream-error\n".utf8)
                }
                expected += Array("id: \(streamID):\(sequence)\n".utf8)
                var line: [UInt8] = []
                var lines: [[UInt8]] = []
                var previousWasCR = false
                for byte in bytes {
                    if byte == 0x0A, previousWasCR { previousWasCR = false; continue }
                    previousWasCR = byte == 0x0D
                    if byte == 0x0A || byte == 0x0D { lines.append(line); line = [] } else { line.append(byte) }
                }
                lines.append(line)
                for line in lines { expected += Array("data: ".utf8) + line + [0x0A] }
                expected.append(0x0A)
                if encoded != expected { return "\(kind) differs" }
            }
            return nil
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// Asked for chunked framing, the output builds the chunk around the same event bytes in one
    /// buffer: exactly `HTTPResponseEncoder.encodeChunk` of the unframed event, with `body` on it.
    @Test(arguments: [0, 9, 4096])
    func framedEventsAreTheChunkOfThePlainEvent(sequence: Int) {
        let output = EventStreamOutput(retryMilliseconds: 1000)
        let problems = DifferentialInputs.mismatches(seed: 0x6368_6B64 &+ UInt64(sequence), odd: 0x0D) { bytes, offset in
            let streamID = "s" + String(repeating: "y", count: offset * 37)
            for kind in [StreamEvent.Kind.data, .done, .error] {
                let event = StreamEvent(sequence: sequence, kind: kind, json: bytes)
                guard case .write(let plain) = output.encode(event, streamID: streamID) else { return "no plain bytes" }
                switch output.encode(event, streamID: streamID, chunked: true) {
                case .writeFramed(let chunk):
                    if chunk.bytes != HTTPResponseEncoder.encodeChunk(plain) { return "\(kind): framing differs" }
                    if Array(chunk.bytes[chunk.body]) != plain { return "\(kind): body range differs" }
                case .write(let fallback):
                    // Bytes with CR or LF take the general encoder, unframed.
                    if fallback != plain || !(bytes.contains(0x0A) || bytes.contains(0x0D)) { return "\(kind): unexpected fallback" }
                default:
                    return "\(kind): no bytes"
                }
            }
            return nil
        }
        #expect(problems.isEmpty, "\(problems)")
    }
}
