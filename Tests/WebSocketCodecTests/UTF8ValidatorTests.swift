import Testing
@testable import WebSocketCodec

@Suite struct UTF8ValidatorTests {
    static let valid: [[UInt8]] = [
        [],
        Array("plain ASCII that is longer than eight bytes".utf8),
        Array("你好, мир, 😀, é".utf8),
        [0xC2, 0x80], [0xDF, 0xBF],                      // U+0080, U+07FF
        [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],          // U+0800, U+D7FF
        [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],          // U+E000, U+FFFF
        [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],  // U+10000, U+10FFFF
    ]

    static let invalid: [[UInt8]] = [
        [0x80],                          // stray continuation
        [0xC0, 0x80], [0xC1, 0xBF],      // overlong 2-byte
        [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],  // overlong 3-byte
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates
        [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong 4-byte
        [0xF4, 0x90, 0x80, 0x80],        // U+110000
        [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE],
        [0xC3, 0x28],                    // continuation expected
        Array("abcdefgh".utf8) + [0xE4, 0xBD, 0x41],
    ]

    @Test(arguments: valid)
    func acceptsValidSequencesWholeAndBytewise(bytes: [UInt8]) {
        var whole = UTF8Validator()
        let wholeOK = whole.validate(bytes)
        #expect(wholeOK)
        #expect(whole.isComplete)
        var bytewise = UTF8Validator()
        let bytewiseOK = bytes.allSatisfy { bytewise.validate([$0]) }
        #expect(bytewiseOK)
        #expect(bytewise.isComplete)
        // Agreement with the standard library.
        #expect(String(validating: bytes, as: UTF8.self) != nil)
    }

    @Test(arguments: invalid)
    func rejectsInvalidSequences(bytes: [UInt8]) {
        var validator = UTF8Validator()
        let ok = validator.validate(bytes)
        #expect(!ok)
        #expect(!validator.isComplete)
        let afterwards = validator.validate([0x41])
        #expect(!afterwards, "failure is sticky")
        #expect(String(validating: bytes, as: UTF8.self) == nil)
    }

    @Test func failsFastOnTheFirstImpossibleByte() {
        var validator = UTF8Validator()
        let lead = validator.validate([0xED])
        let surrogate = validator.validate([0xA0])
        #expect(lead)
        #expect(!surrogate, "surrogate detected at its second byte")
        var overlong = UTF8Validator()
        let c0 = overlong.validate([0xC0])
        #expect(!c0, "C0 can never start a character")
    }

    @Test func splitCharacterIsIncompleteUntilFinished() {
        let bytes = Array("你好".utf8)  // E4 BD A0 E5 A5 BD
        for split in 0...bytes.count {
            var validator = UTF8Validator()
            let first = validator.validate(bytes[..<split])
            #expect(first)
            #expect(validator.isComplete == [0, 3, 6].contains(split))
            let second = validator.validate(bytes[split...])
            #expect(second)
            #expect(validator.isComplete)
        }
    }

    @Test func nonContiguousSequenceTakesTheSlowPath() {
        var validator = UTF8Validator()
        let good = validator.validate("héllo".utf8.lazy.map { $0 })
        let bad = validator.validate(AnySequence([UInt8(0xC0)]))
        #expect(good)
        #expect(!bad)
    }

    @Test func resetClearsFailure() {
        var validator = UTF8Validator()
        let bad = validator.validate([0xFF])
        validator.reset()
        let good = validator.validate([0x41])
        #expect(!bad)
        #expect(good)
        #expect(validator.isComplete)
    }
}
