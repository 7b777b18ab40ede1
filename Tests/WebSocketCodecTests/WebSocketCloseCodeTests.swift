import Testing
@testable import WebSocketCodec

@Suite struct WebSocketCloseCodeTests {
    @Test func wireValidityPerSection7_4() {
        let valid: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
        let invalid: [UInt16] = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
        for raw in valid { #expect(WebSocketCloseCode.isValidReceived(raw), "\(raw)") }
        for raw in invalid { #expect(!WebSocketCloseCode.isValidReceived(raw), "\(raw)") }
        #expect(WebSocketCloseCode.normalClosure.isSendable)
        #expect(!WebSocketCloseCode.noStatusReceived.isSendable)
        #expect(!WebSocketCloseCode.abnormalClosure.isSendable)
    }

    @Test func namedValues() {
        let pairs: [(WebSocketCloseCode, UInt16)] = [
            (.normalClosure, 1000), (.goingAway, 1001), (.protocolError, 1002), (.unsupportedData, 1003),
            (.noStatusReceived, 1005), (.abnormalClosure, 1006), (.invalidFramePayloadData, 1007),
            (.policyViolation, 1008), (.messageTooBig, 1009), (.mandatoryExtension, 1010), (.internalError, 1011),
        ]
        for (code, raw) in pairs { #expect(code.rawValue == raw) }
    }
}
