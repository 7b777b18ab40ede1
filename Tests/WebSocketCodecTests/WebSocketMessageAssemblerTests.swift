import Testing
@testable import WebSocketCodec

@Suite struct WebSocketMessageAssemblerTests {
    @Test func multiByteCharacterSplitAcrossFragmentsDecodesExactly() {
        let bytes = Array("你好".utf8)  // E4 BD A0 | E5 A5 BD
        let input = TestFrames.server(.text, Array(bytes[0..<2]), fin: false)
            + TestFrames.server(.continuation, Array(bytes[2..<4]), fin: false)
            + TestFrames.server(.continuation, Array(bytes[4...]), fin: true)
        let outcome = FrameDecoderVerifier.verifyClient(input)
        #expect(outcome.messages == [.text("你好")])
        guard case .text(let text) = outcome.messages.first else { return }
        #expect(Array(text.utf8) == bytes)
    }

    @Test func textAsBytesDeliversTheValidatedBytes() throws {
        let bytes = Array("你好".utf8)
        var assembler = WebSocketMessageAssembler(textAsBytes: true)
        #expect(try assembler.receive(WebSocketFrame(fin: false, opcode: .text, payload: Array(bytes[0..<2]))) == nil)
        #expect(try assembler.receive(WebSocketFrame(fin: true, opcode: .continuation, payload: Array(bytes[2...]))) == .textBytes(bytes))
        #expect(try assembler.receive(WebSocketFrame(fin: true, opcode: .binary, payload: [1, 2])) == .binary([1, 2]))
        // Validation is unchanged: a text message ending inside a character still fails.
        let error = TestFrames.error {
            _ = try assembler.receive(WebSocketFrame(fin: true, opcode: .text, payload: Array(bytes[0..<2])))
        }
        #expect(error?.kind == .invalidUTF8)
    }

    @Test func invalidUTF8FailsBeforeTheFinalFragment() throws {
        var assembler = WebSocketMessageAssembler()
        #expect(try assembler.receive(WebSocketFrame(fin: false, opcode: .text, payload: Array("ok ".utf8))) == nil)
        let error = TestFrames.error {
            _ = try assembler.receive(WebSocketFrame(fin: false, opcode: .continuation, payload: [0xED, 0xA0, 0x80]))
        }
        #expect(error?.kind == .invalidUTF8)
        #expect(error?.closeCode == .invalidFramePayloadData)
    }

    @Test func textEndingMidCharacterFails() {
        let input = TestFrames.server(.text, [0x61, 0xE4, 0xBD], fin: false) + TestFrames.server(.continuation, [])
        let outcome = FrameDecoderVerifier.verifyClient(input)
        #expect(outcome.error?.kind == .invalidUTF8)
    }

    @Test func controlFramesInterleaveWithAFragmentedMessage() {
        let input = TestFrames.client(.binary, [1, 2], fin: false)
            + TestFrames.client(.ping, Array("p".utf8))
            + TestFrames.client(.continuation, [3], fin: false)
            + TestFrames.client(.pong, [])
            + TestFrames.client(.continuation, [4, 5])
            + TestFrames.client(.text, Array("next".utf8))
        let outcome = FrameDecoderVerifier.verifyServer(input)
        #expect(outcome.messages == [.ping(Array("p".utf8)), .pong([]), .binary([1, 2, 3, 4, 5]), .text("next")])
        #expect(outcome.error == nil)
    }

    @Test func closeInsideAFragmentedMessageIsDelivered() {
        let input = TestFrames.server(.text, Array("par".utf8), fin: false)
            + TestFrames.server(.close, WebSocketFrameEncoder.closePayload(code: .goingAway, reason: "bye"))
        let outcome = FrameDecoderVerifier.verifyClient(input)
        #expect(outcome.messages == [.close(code: .goingAway, reason: "bye")])
    }

    @Test func emptyMessagesAndEmptyFragments() {
        let input = TestFrames.server(.text, []) + TestFrames.server(.binary, [], fin: false)
            + TestFrames.server(.continuation, [])
        #expect(FrameDecoderVerifier.verifyClient(input).messages == [.text(""), .binary([])])
    }

    @Test func closePayloadRules() throws {
        #expect(try WebSocketMessageAssembler.parseClose([]) == .close(code: nil, reason: ""))
        #expect(try WebSocketMessageAssembler.parseClose([0x03, 0xE8]) == .close(code: .normalClosure, reason: ""))
        #expect(try WebSocketMessageAssembler.parseClose([0x0F, 0xA0] + Array("é".utf8))
            == .close(code: WebSocketCloseCode(rawValue: 4000), reason: "é"))
        #expect(TestFrames.error { _ = try WebSocketMessageAssembler.parseClose([0x03]) }?.kind == .invalidClosePayload)
        for raw: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            let payload = [UInt8(raw >> 8), UInt8(raw & 0xFF)]
            #expect(TestFrames.error { _ = try WebSocketMessageAssembler.parseClose(payload) }?.kind == .invalidCloseCode)
        }
        // Reason cut inside a character.
        #expect(TestFrames.error { _ = try WebSocketMessageAssembler.parseClose([0x03, 0xE8, 0xE4, 0xBD]) }?.kind
            == .invalidUTF8)
    }

    @Test func controlFrameRulesAlsoHoldForHandBuiltFrames() {
        var assembler = WebSocketMessageAssembler()
        #expect(TestFrames.error { _ = try assembler.receive(WebSocketFrame(fin: false, opcode: .ping, payload: [])) }?
            .kind == .fragmentedControlFrame)
        #expect(TestFrames.error {
            _ = try assembler.receive(WebSocketFrame(opcode: .pong, payload: [UInt8](repeating: 0, count: 126)))
        }?.kind == .controlFrameTooLong)
        #expect(TestFrames.error { _ = try assembler.receive(WebSocketFrame(rsv2: true, opcode: .text, payload: [])) }?
            .kind == .reservedBitsSet)
        #expect(TestFrames.error { _ = try assembler.receive(WebSocketFrame(opcode: .init(rawValue: 3), payload: [])) }?
            .kind == .unknownOpcode)
    }

    @Test func messageSizeLimitCountsAllFragments() throws {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 8)
        #expect(try assembler.receive(WebSocketFrame(fin: false, opcode: .binary, payload: [1, 2, 3, 4])) == nil)
        #expect(assembler.isAssembling)
        #expect(assembler.bufferedByteCount == 4)
        #expect(try assembler.receive(WebSocketFrame(opcode: .continuation, payload: [5, 6, 7, 8]))
            == .binary([1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(!assembler.isAssembling)
        #expect(try assembler.receive(WebSocketFrame(fin: false, opcode: .binary, payload: [1, 2, 3, 4, 5])) == nil)
        let error = TestFrames.error {
            _ = try assembler.receive(WebSocketFrame(opcode: .continuation, payload: [6, 7, 8, 9]))
        }
        #expect(error?.kind == .messageTooLarge)
        #expect(error?.closeCode == .messageTooBig)
    }

    @Test func singleTextFrameAboveLimitFails() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 3)
        #expect(TestFrames.error { _ = try assembler.receive(WebSocketFrame(opcode: .text, payload: [1, 2, 3, 4])) }?
            .kind == .messageTooLarge)
    }
}
