import RelayTestSupport
import Testing
@testable import JSON

/// The JSON parser's word-at-a-time and in-place fast paths against plain references, for every
/// length 0...300 at every start offset 0...7 (leading whitespace moves the value against word
/// boundaries), with random and adversarial bytes. Run in debug and in `swift test -c release`.
@Suite struct JSONFastPathDifferentialTests {
    @Test func isASCIIMatchesAByteLoop() {
        let problems = DifferentialInputs.mismatches(seed: 0x6173_6369) { bytes, offset in
            let shifted = [UInt8](repeating: 0x20, count: offset) + bytes
            let expected = shifted.allSatisfy { $0 < 0x80 }
            return JSONParser.isASCII(shifted) == expected ? nil : "isASCII says \(!expected)"
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// `skipStringInPlace` (validates in place) must end where `skipString` (decodes into scratch)
    /// ends, or fail with the same error at the same offset.
    static func compareStringSkips(_ content: [UInt8], offset: Int) -> String? {
        let document = [UInt8](repeating: 0x20, count: offset) + [0x22] + content + [0x22] + Array(",1".utf8)
        func run(_ inPlace: Bool) -> Result<Int, JSONScanError> {
            var parser = JSONParser(bytes: document, maxDepth: JSONScanner.defaultMaxDepth)
            parser.index = offset
            do throws(JSONScanError) {
                if inPlace { try parser.skipStringInPlace() } else { try parser.skipString() }
                return .success(parser.index)
            } catch {
                return .failure(error)
            }
        }
        let fast = run(true)
        let general = run(false)
        if fast != general { return "in place \(fast) vs scratch \(general)" }
        // An independent verdict where no escape is involved: valid exactly when the bytes up to the
        // first quote are UTF-8 without control characters.
        if let end = content.firstIndex(of: 0x22), !content[..<end].contains(0x5C) {
            let literal = content[..<end]
            let valid = !literal.contains(where: { $0 < 0x20 }) && String(validating: literal, as: UTF8.self) != nil
            if case .success(let index) = fast, !valid || index != offset + end + 2 { return "accepted \(literal) ending at \(index)" }
            if case .failure = fast, valid { return "rejected valid \(literal)" }
        }
        return nil
    }

    @Test func stringSkipsAgreeOnAdversarialBytes() {
        let problems = DifferentialInputs.mismatches(seed: 0x736B_6970, odd: 0xE4) { bytes, offset in
            Self.compareStringSkips(bytes, offset: offset)
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func stringSkipsAgreeOnStringLikeBytes() {
        let problems = JSONStringInputs.mismatches(seed: 0x7374_726E) { bytes, offset in
            Self.compareStringSkips(bytes, offset: offset)
        }
        #expect(problems.isEmpty, "\(problems)")
    }
}
