import Testing
@testable import WebSocketCodec

@Suite struct WebSocketFrameEncoderTests {
    let hello = Array("Hello".utf8)
    let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    @Test func rfcExamplesEncodeExactly() {
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: hello, maskingKey: nil)
            == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: hello, maskingKey: key)
            == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: Array("Hel".utf8), fin: false, maskingKey: nil)
            == [0x01, 0x03, 0x48, 0x65, 0x6C])
        #expect(WebSocketFrameEncoder.encode(opcode: .continuation, payload: Array("lo".utf8), maskingKey: nil)
            == [0x80, 0x02, 0x6C, 0x6F])
        #expect(WebSocketFrameEncoder.encode(opcode: .ping, payload: hello, maskingKey: nil)
            == [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(WebSocketFrameEncoder.encode(opcode: .pong, payload: hello, maskingKey: key)
            == [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func rfcLengthEncodings() {
        let p256 = [UInt8](repeating: 0xAB, count: 256)
        #expect(Array(WebSocketFrameEncoder.encode(opcode: .binary, payload: p256, maskingKey: nil).prefix(4))
            == [0x82, 0x7E, 0x01, 0x00])
        let p64k = [UInt8](repeating: 0xCD, count: 65536)
        let encoded = WebSocketFrameEncoder.encode(opcode: .binary, payload: p64k, maskingKey: nil)
        #expect(Array(encoded.prefix(10)) == [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00])
        #expect(encoded.count == 10 + 65536)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, 70001])
    func roundTripsBothRoles(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        let headerLength = length <= 125 ? 2 : (length <= 65535 ? 4 : 10)

        let unmasked = WebSocketFrameEncoder.encode(opcode: .binary, payload: payload, maskingKey: nil)
        #expect(unmasked.count == headerLength + length)
        var client = WebSocketFrameDecoder(role: .client)
        client.append(unmasked)
        #expect(try client.next() == WebSocketFrame(opcode: .binary, payload: payload))

        let frame = WebSocketFrame(opcode: .binary, maskingKey: [9, 8, 7, 6], payload: payload)
        let masked = WebSocketFrameEncoder.encode(frame)
        #expect(masked.count == headerLength + 4 + length)
        if length > 0 { #expect(Array(masked.suffix(length)) != payload) }
        var server = WebSocketFrameDecoder(role: .server)
        server.append(masked)
        #expect(try server.next() == frame)
        #expect(server.bufferedByteCount == 0)
    }

    @Test func encodesFlagsFromFrame() {
        let frame = WebSocketFrame(fin: false, rsv1: true, rsv2: false, rsv3: true, opcode: .binary, payload: [])
        #expect(WebSocketFrameEncoder.encode(frame) == [0x52, 0x00])
    }

    @Test func acceptsNonArrayCollections() {
        let bytes = "Hello".utf8
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: bytes, maskingKey: nil)
            == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        let slice = Array("xxHelloxx".utf8)[2..<7]
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: slice, maskingKey: key)
            == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func closePayloadLayout() {
        #expect(WebSocketFrameEncoder.closePayload(code: .normalClosure, reason: "") == [0x03, 0xE8])
        #expect(WebSocketFrameEncoder.closePayload(code: WebSocketCloseCode(rawValue: 4001), reason: "ok")
            == [0x0F, 0xA1, 0x6F, 0x6B])
    }

    @Test func closeReasonTruncatedOnCharacterBoundary() throws {
        // 41 three-byte characters = 123 bytes fits exactly; 42 must drop the whole last character.
        let fits = String(repeating: "你", count: 41)
        #expect(WebSocketFrameEncoder.closePayload(code: .goingAway, reason: fits).count == 125)
        let long = String(repeating: "你", count: 42)
        let payload = WebSocketFrameEncoder.closePayload(code: .goingAway, reason: long)
        #expect(payload.count == 125)
        // 122 ASCII + "é" (2 bytes) = 124: the é must go entirely.
        let mixed = String(repeating: "a", count: 122) + "é"
        let cut = WebSocketFrameEncoder.closePayload(code: .goingAway, reason: mixed)
        #expect(cut.count == 2 + 122)
        let parsed = try WebSocketMessageAssembler.parseClose(cut)
        #expect(parsed == .close(code: .goingAway, reason: String(repeating: "a", count: 122)))
        let parsedLong = try WebSocketMessageAssembler.parseClose(payload)
        #expect(parsedLong == .close(code: .goingAway, reason: fits))
    }
}
