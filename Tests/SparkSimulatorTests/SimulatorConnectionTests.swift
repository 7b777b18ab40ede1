@testable import SparkSimulator
import Testing

@Suite("SimulatorConnection helpers")
struct SimulatorConnectionTests {
    @Test func fragmentBoundariesSplitInsideTheFirstMultiByteCharacter() {
        let payload = Array("ab星火cd".utf8)
        let bounds = SimulatorConnection.fragmentBoundaries(payload)
        #expect(bounds.first == 0 && bounds.last == payload.count)
        #expect(bounds.contains(3))  // "星" starts at 2; one byte in
        #expect(bounds == bounds.sorted() && Set(bounds).count == bounds.count)
        #expect(SimulatorConnection.fragmentBoundaries([1, 2]) == [0, 1, 2])
    }

    @Test func stampInsertsTheSendTimeAsFirstHeaderMember() {
        let frame = Array(#"{"header":{"code":0}}"#.utf8)
        let stamped = String(decoding: SimulatorConnection.stamped(frame), as: UTF8.self)
        #expect(stamped.hasPrefix(#"{"header":{"sim_sent_ns":"#))
        #expect(stamped.hasSuffix(#","code":0}}"#))
        #expect(SimulatorConnection.stamped(Array("[]".utf8)) == Array("[]".utf8))
    }

    @Test func stampAlsoPutsTheSendTimeFirstInPayloadChoices() throws {
        let frame = Array(#"{"header":{"code":0},"payload":{"choices":{"status":0,"seq":0,"text":[]}}}"#.utf8)
        let stamped = String(decoding: SimulatorConnection.stamped(frame, nanoseconds: 42), as: UTF8.self)
        #expect(stamped == #"{"header":{"sim_sent_ns":42,"code":0},"payload":{"choices":{"sim_sent_ns":42,"status":0,"seq":0,"text":[]}}}"#)
        // Frames without choices (error, plugin) only get the header stamp.
        let error = Array(#"{"header":{"code":10013}}"#.utf8)
        #expect(String(decoding: SimulatorConnection.stamped(error, nanoseconds: 7), as: UTF8.self) == #"{"header":{"sim_sent_ns":7,"code":10013}}"#)
    }

    @Test func sidsHaveSparksShape() {
        let sid = SimulatorConnection.makeSID()
        #expect(sid.hasPrefix("cht000sim@dx"))
        #expect(sid.dropFirst(12).allSatisfy(\.isHexDigit) && sid.count == 28)
        #expect(SimulatorConnection.makeSID() != sid)
    }
}
