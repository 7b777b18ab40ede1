import Testing
@testable import WebSocketCodec

@Suite struct WebSocketFrameDecoderTests {
    let hello = Array("Hello".utf8)

    @Test func rfcSingleFrameUnmaskedText() {
        let outcome = FrameDecoderVerifier.verifyClient([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(outcome.frames == [WebSocketFrame(opcode: .text, payload: hello)])
        #expect(outcome.messages == [.text("Hello")])
        #expect(outcome.error == nil)
        #expect(outcome.leftover == 0)
    }

    @Test func rfcSingleFrameMaskedText() {
        let outcome = FrameDecoderVerifier.verifyServer([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(outcome.frames == [WebSocketFrame(opcode: .text, maskingKey: [0x37, 0xFA, 0x21, 0x3D], payload: hello)])
        #expect(outcome.messages == [.text("Hello")])
    }

    @Test func rfcFragmentedUnmaskedText() {
        let outcome = FrameDecoderVerifier.verifyClient([0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F])
        #expect(outcome.frames == [
            WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8)),
            WebSocketFrame(opcode: .continuation, payload: Array("lo".utf8)),
        ])
        #expect(outcome.messages == [.text("Hello")])
    }

    @Test func rfcUnmaskedPing() {
        let outcome = FrameDecoderVerifier.verifyClient([0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(outcome.frames == [WebSocketFrame(opcode: .ping, payload: hello)])
        #expect(outcome.messages == [.ping(hello)])
    }

    @Test func rfcMaskedPong() {
        let outcome = FrameDecoderVerifier.verifyServer([0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(outcome.messages == [.pong(hello)])
    }

    @Test func rfc256ByteBinaryUses16BitLength() {
        let payload = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let outcome = FrameDecoderVerifier.verifyClient([0x82, 0x7E, 0x01, 0x00] + payload)
        #expect(outcome.messages == [.binary(payload)])
    }

    @Test func rfc64KiBBinaryUses64BitLength() {
        let payload = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let header: [UInt8] = [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
        let outcome = FrameDecoderVerifier.verifyClient(header + payload)
        #expect(outcome.messages == [.binary(payload)])
    }

    @Test func severalFramesInOneBuffer() {
        let input = TestFrames.server(.text, Array("a".utf8)) + TestFrames.server(.ping, [])
            + TestFrames.server(.binary, [1, 2, 3]) + [0x81]
        let outcome = FrameDecoderVerifier.verifyClient(input)
        #expect(outcome.messages == [.text("a"), .ping([]), .binary([1, 2, 3])])
        #expect(outcome.leftover == 1)
    }

    @Test func oversizeFrameRejectedFromHeaderAlone() {
        var decoder = WebSocketFrameDecoder(role: .client, maxFrameSize: 1024)
        decoder.append([0x82, 0x7E, 0x04, 0x01])  // 1025 bytes announced, none sent
        let error = TestFrames.error { _ = try decoder.next() }
        #expect(error?.kind == .frameTooLarge)
        #expect(error?.closeCode == .messageTooBig)
        #expect(decoder.bufferedByteCount == 4)

        var huge = WebSocketFrameDecoder(role: .server)
        huge.append([0x82, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00])  // 4 GiB, mask key not yet sent
        #expect(TestFrames.error { _ = try huge.next() }?.kind == .frameTooLarge)
    }

    @Test func frameAtTheLimitIsAccepted() {
        let payload = [UInt8](repeating: 9, count: 1024)
        let outcome = FrameDecoderVerifier.verify(
            TestFrames.server(.binary, payload), .init(role: .client, maxFrameSize: 1024))
        #expect(outcome.messages == [.binary(payload)])
        let over = FrameDecoderVerifier.verify(
            TestFrames.server(.binary, payload + [1]), .init(role: .client, maxFrameSize: 1024))
        #expect(over.error?.kind == .frameTooLarge)
    }

    @Test func needsMoreDataReturnsNil() throws {
        var decoder = WebSocketFrameDecoder(role: .client)
        decoder.append([0x81])
        #expect(try decoder.next() == nil)
        decoder.append([0x02, 0x68])
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 3)
        decoder.append([0x69])
        #expect(try decoder.next() == WebSocketFrame(opcode: .text, payload: Array("hi".utf8)))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func errorPoisonsTheDecoder() {
        var decoder = WebSocketFrameDecoder(role: .client)
        decoder.append([0xC1, 0x00])
        #expect(TestFrames.error { _ = try decoder.next() }?.kind == .reservedBitsSet)
        decoder.append(TestFrames.server(.text, []))
        #expect(TestFrames.error { _ = try decoder.next() }?.kind == .reservedBitsSet)
    }

    @Test func unsafeRawBufferAppend() throws {
        var decoder = WebSocketFrameDecoder(role: .server)
        let bytes = TestFrames.client(.binary, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
        bytes.withUnsafeBytes { decoder.append($0) }
        #expect(try decoder.next()?.payload == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    }

    @Test func longStreamOfFramesCompactsAndStaysCorrect() throws {
        // 2,000 frames fed in 1,000-byte chunks: exercises the read index and compaction.
        var stream: [UInt8] = []
        var expected: [[UInt8]] = []
        for index in 0..<2000 {
            let payload = [UInt8](repeating: UInt8(index & 0xFF), count: index % 300)
            expected.append(payload)
            stream += TestFrames.client(.binary, payload)
        }
        var decoder = WebSocketFrameDecoder(role: .server)
        var received: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + 1000, stream.count)
            decoder.append(stream[offset..<end])
            offset = end
            while let frame = try decoder.next() {
                received.append(frame.payload)
            }
            #expect(decoder.bufferedByteCount < 1000 + 310)
        }
        #expect(received == expected)
        #expect(decoder.bufferedByteCount == 0)
    }
}
