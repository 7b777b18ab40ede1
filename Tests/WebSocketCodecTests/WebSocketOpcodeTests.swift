import Testing
@testable import WebSocketCodec

@Suite struct WebSocketOpcodeTests {
    @Test func knownAndControl() {
        for raw in UInt8(0)...15 {
            let opcode = WebSocketOpcode(rawValue: raw)
            #expect(opcode.isKnown == [0, 1, 2, 8, 9, 10].contains(raw))
            #expect(opcode.isControl == (raw >= 8))
        }
        #expect(WebSocketOpcode.text.description == "text")
        #expect(WebSocketOpcode(rawValue: 0xB).description == "reserved(0xb)")
    }
}
