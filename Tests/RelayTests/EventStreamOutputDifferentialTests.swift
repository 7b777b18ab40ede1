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
}
