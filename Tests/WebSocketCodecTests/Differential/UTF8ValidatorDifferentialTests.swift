import RelayTestSupport
import Testing
import WebSocketCodec

/// The validator's eight-byte ASCII skip against byte-at-a-time validation and against the standard
/// library's `String(validating:)`, for every length 0...300 at every start offset 0...7, with a
/// non-ASCII, invalid or truncated sequence planted at word boundaries. Run in debug and release.
@Suite struct UTF8ValidatorDifferentialTests {
    /// Sequences planted into ASCII: valid 2/3/4-byte characters, and invalid or truncated ones.
    static let planted: [(name: String, bytes: [UInt8])] = [
        ("é", [0xC3, 0xA9]), ("你", [0xE4, 0xBD, 0xA0]), ("😀", [0xF0, 0x9F, 0x98, 0x80]),
        ("stray continuation", [0x80]), ("overlong", [0xC0, 0xAF]), ("surrogate", [0xED, 0xA0, 0x80]),
        ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]), ("truncated", [0xE4, 0xBD]), ("0xFF", [0xFF]),
    ]

    /// The verdict of feeding `bytes` one at a time through a sequence with no contiguous storage,
    /// which takes the validator's byte-by-byte path only.
    static func byteByByte(_ bytes: [UInt8]) -> (accepted: Bool, complete: Bool) {
        var validator = UTF8Validator()
        let accepted = validator.validate(bytes.lazy.map { $0 })
        return (accepted, validator.isComplete)
    }

    static func check(_ bytes: [UInt8], offset: Int) -> String? {
        let (storage, range) = DifferentialInputs.embed(bytes, at: offset)
        var fast = UTF8Validator()
        let accepted = fast.validate(storage[range])  // contiguous: the word-at-a-time path
        let reference = byteByByte(bytes)
        if accepted != reference.accepted || fast.isComplete != reference.complete {
            return "fast (\(accepted), \(fast.isComplete)) vs byte by byte \(reference)"
        }
        let valid = String(validating: bytes, as: UTF8.self) != nil
        if (accepted && fast.isComplete) != valid { return "validator says \(accepted && fast.isComplete), stdlib says \(valid)" }
        return nil
    }

    @Test func randomAndAdversarialBytes() {
        let problems = DifferentialInputs.mismatches(seed: 0x7574_6638, odd: 0xC3) { bytes, offset in
            Self.check(bytes, offset: offset)
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(arguments: planted.indices)
    func plantedSequenceAtEveryWordPosition(index: Int) {
        let sequence = Self.planted[index].bytes
        var generator = DifferentialInputs.Generator(seed: 0x706C_616E &+ UInt64(index))
        var problems: [String] = []
        for length in DifferentialInputs.lengths where length > 0 {
            let ascii = generator.bytes(length, from: Array(0x20...0x7E))
            var inputs = DifferentialInputs.markPositions(length: length).map { position in
                var planted = ascii
                planted.replaceSubrange(position..<min(position + sequence.count, length), with: sequence)
                return (position, planted)
            }
            inputs.append((length, ascii + sequence))  // at the very end, past the last whole word
            for (position, bytes) in inputs {
                for offset in DifferentialInputs.offsets {
                    if let problem = Self.check(bytes, offset: offset) {
                        problems.append("length \(length), at \(position), offset \(offset): \(problem)")
                    }
                }
            }
        }
        #expect(problems.isEmpty, "\(Self.planted[index].name): \(problems.prefix(10))")
    }
}
