import HTTPCodec
@testable import Relay
import Testing

/// `EventStreamOutput` builds SSE events itself on the hot path; the bytes must be exactly what
/// `SSEEncoder.encodeData` gives for the same id and event name.
@Suite struct EventStreamOutputTests {
    private func expected(_ event: StreamEvent, streamID: String) -> [UInt8] {
        let name: String? = switch event.kind {
        case .data: nil
        case .done: "done"
        case .error: "stream-error"
        }
        return SSEEncoder.encodeData(json: event.json, id: "\(streamID):\(event.sequence)", event: name)
    }

    @Test(arguments: [0, 1, 9, 10, 99, 12345, Int.max, -1])
    func matchesTheSSEEncoder(sequence: Int) {
        let output = EventStreamOutput(retryMilliseconds: 1000)
        let jsons = [Array(#"{"choices":{"text":[{"content":"你好"}]}}"#.utf8), [], Array("{\"a\":\n1}\r".utf8)]
        for streamID in ["3f2a9c", "", "bad\nid", "nul\0id", "cr\rid"] {
            for json in jsons {
                for kind in [StreamEvent.Kind.data, .done, .error] {
                    let event = StreamEvent(sequence: sequence, kind: kind, json: json)
                    guard case .write(let bytes) = output.encode(event, streamID: streamID) else {
                        Issue.record("no bytes")
                        continue
                    }
                    #expect(bytes == expected(event, streamID: streamID), "\(streamID) \(kind) \(json)")
                }
            }
        }
    }
}
