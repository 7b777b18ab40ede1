import Testing
@testable import WebSocketCodec

/// One wire input that must fail with `kind` and `closeCode`.
struct ProtocolErrorCase: Sendable, CustomTestStringConvertible {
    var kind: WebSocketProtocolError.Kind
    var closeCode: WebSocketCloseCode
    var role: WebSocketRole = .client
    var maxFrameSize = 16 * 1024 * 1024
    var maxMessageSize = 16 * 1024 * 1024
    var input: [UInt8]

    var testDescription: String { "\(kind) → \(closeCode.rawValue)" }

    static let all: [ProtocolErrorCase] = [
        .init(kind: .reservedBitsSet, closeCode: .protocolError, input: [0xC1, 0x00]),
        .init(kind: .reservedBitsSet, closeCode: .protocolError, input: [0x91, 0x00]),
        .init(kind: .unknownOpcode, closeCode: .protocolError, input: [0x83, 0x00]),
        .init(kind: .unknownOpcode, closeCode: .protocolError, input: [0x8B, 0x00]),
        .init(kind: .fragmentedControlFrame, closeCode: .protocolError, input: [0x09, 0x00]),
        .init(kind: .controlFrameTooLong, closeCode: .protocolError,
              input: [0x89, 0x7E, 0x00, 0x7E] + [UInt8](repeating: 0, count: 126)),
        .init(kind: .unmaskedClientFrame, closeCode: .protocolError, role: .server, input: [0x81, 0x01, 0x41]),
        .init(kind: .maskedServerFrame, closeCode: .protocolError, input: [0x81, 0x81, 1, 2, 3, 4, 0x41]),
        .init(kind: .nonMinimalLength, closeCode: .protocolError,
              input: [0x82, 0x7E, 0x00, 0x7D] + [UInt8](repeating: 0, count: 125)),
        .init(kind: .nonMinimalLength, closeCode: .protocolError,
              input: [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 8)),
        .init(kind: .lengthHighBitSet, closeCode: .protocolError, input: [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1]),
        .init(kind: .frameTooLarge, closeCode: .messageTooBig, maxFrameSize: 200,
              input: TestFrames.server(.binary, [UInt8](repeating: 1, count: 201))),
        .init(kind: .messageTooLarge, closeCode: .messageTooBig, maxMessageSize: 10,
              input: TestFrames.server(.binary, [1, 2, 3, 4, 5, 6], fin: false)
                + TestFrames.server(.continuation, [7, 8, 9, 10, 11], fin: true)),
        .init(kind: .unexpectedContinuation, closeCode: .protocolError, input: TestFrames.server(.continuation, [1])),
        .init(kind: .expectedContinuation, closeCode: .protocolError,
              input: TestFrames.server(.text, [0x61], fin: false) + TestFrames.server(.binary, [1])),
        .init(kind: .invalidUTF8, closeCode: .invalidFramePayloadData, input: TestFrames.server(.text, [0x61, 0xFF])),
        .init(kind: .invalidUTF8, closeCode: .invalidFramePayloadData,
              input: TestFrames.server(.close, [0x03, 0xE8, 0xC3, 0x28])),
        .init(kind: .invalidCloseCode, closeCode: .protocolError, input: TestFrames.server(.close, [0x03, 0xED])),
        .init(kind: .invalidClosePayload, closeCode: .protocolError, input: TestFrames.server(.close, [0x03])),
    ]
}

@Suite struct WebSocketProtocolErrorTests {
    @Test(arguments: ProtocolErrorCase.all)
    func everyKindFailsWithItsCloseCode(_ testCase: ProtocolErrorCase) {
        let outcome = FrameDecoderVerifier.verify(
            testCase.input,
            .init(role: testCase.role, maxFrameSize: testCase.maxFrameSize, maxMessageSize: testCase.maxMessageSize))
        #expect(outcome.error?.kind == testCase.kind)
        #expect(outcome.error?.closeCode == testCase.closeCode)
        #expect(outcome.messages.isEmpty)
    }

    @Test func everyKindHasAFailingInput() {
        let covered = Set(ProtocolErrorCase.all.map { "\($0.kind)" })
        let all = Set(WebSocketProtocolError.Kind.allCases.map { "\($0)" })
        #expect(covered == all)
    }

    @Test func closeCodeMapping() {
        for kind in WebSocketProtocolError.Kind.allCases {
            let expected: WebSocketCloseCode = switch kind {
            case .frameTooLarge, .messageTooLarge: .messageTooBig
            case .invalidUTF8: .invalidFramePayloadData
            default: .protocolError
            }
            #expect(WebSocketProtocolError(kind, "x").closeCode == expected)
        }
    }

    @Test func descriptionNamesKindAndCode() {
        let error = WebSocketProtocolError(.invalidUTF8, "bad text")
        #expect(error.description.contains("invalidUTF8"))
        #expect(error.description.contains("1007"))
        #expect(error.description.contains("bad text"))
    }
}
