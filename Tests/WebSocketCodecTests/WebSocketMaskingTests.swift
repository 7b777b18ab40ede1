import Testing
@testable import WebSocketCodec

@Suite struct WebSocketMaskingTests {
    @Test(arguments: [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 33, 1000])
    func matchesBytewiseDefinition(length: Int) {
        let key: [UInt8] = [0xA1, 0x00, 0x5C, 0xFF]
        let original = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var bytes = original
        WebSocketMasking.apply(key: key, to: &bytes)
        // RFC 6455 §5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4).
        #expect(bytes == original.enumerated().map { $0.element ^ key[$0.offset % 4] })
        WebSocketMasking.apply(key: key, to: &bytes)
        #expect(bytes == original)
    }
}
