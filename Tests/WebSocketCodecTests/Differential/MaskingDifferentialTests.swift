import RelayTestSupport
import Testing
@testable import WebSocketCodec

/// The eight-bytes-per-step masking (and the frame encoder and decoder built on it) against RFC 6455
/// §5.3's byte-by-byte definition, for every length 0...300 at every start offset 0...7. Run in debug
/// and in `swift test -c release`: swiftc 6.3's optimizer once made the fast path skip key bytes.
@Suite struct MaskingDifferentialTests {
    static let keys: [[UInt8]] = [[0x01, 0x02, 0x03, 0x04], [0xA1, 0x00, 0x5C, 0xFF], [0, 0, 0, 0],
                                  [0xFF, 0xFF, 0xFF, 0xFF], [0x80, 0x7F, 0x01, 0xFE]]

    /// transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4).
    static func referenceMask(_ bytes: [UInt8], key: [UInt8]) -> [UInt8] {
        var out = bytes
        for index in out.indices {
            out[index] ^= key[index % 4]
        }
        return out
    }

    @Test(arguments: keys)
    func maskingInPlaceMatchesTheDefinition(key: [UInt8]) {
        let problems = DifferentialInputs.mismatches(seed: 0x6D61_736B) { bytes, offset in
            var (storage, range) = DifferentialInputs.embed(bytes, at: offset)
            let untouched = storage
            storage.withUnsafeMutableBytes { raw in
                WebSocketMasking.apply(key: key, to: UnsafeMutableRawBufferPointer(rebasing: raw[range]))
            }
            if Array(storage[range]) != Self.referenceMask(bytes, key: key) { return "masked bytes differ" }
            if storage[..<range.lowerBound] != untouched[..<range.lowerBound]
                || storage[range.upperBound...] != untouched[range.upperBound...] {
                return "bytes outside the buffer changed"
            }
            if Self.referenceMask(Array(storage[range]), key: key) != bytes { return "reference unmask did not restore the input" }
            return nil
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(arguments: keys)
    func maskedFramesMatchAHandBuiltEncoding(key: [UInt8]) {
        let problems = DifferentialInputs.mismatches(seed: 0x6672_616D) { bytes, offset in
            let (storage, range) = DifferentialInputs.embed(bytes, at: offset)
            let payload = storage[range]  // an ArraySlice starting `offset` bytes into its storage
            let wire = WebSocketFrameEncoder.encode(opcode: .binary, payload: payload, maskingKey: key)
            if wire != Self.handBuiltFrame(bytes, key: key) { return "encoded frame differs" }
            var decoder = WebSocketFrameDecoder(role: .server)
            decoder.append(wire)
            guard let frame = try? decoder.next() else { return "decoder gave no frame" }
            if frame.payload != bytes { return "decoded payload differs" }
            return nil
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func unmaskedFramesCarryThePayloadUnchanged() {
        let problems = DifferentialInputs.mismatches(seed: 0x756E_6D61) { bytes, offset in
            let (storage, range) = DifferentialInputs.embed(bytes, at: offset)
            let wire = WebSocketFrameEncoder.encode(opcode: .text, payload: storage[range], maskingKey: nil)
            return wire == Self.handBuiltFrame(bytes, key: nil, opcode: 0x1) ? nil : "encoded frame differs"
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// A final frame laid out by hand from §5.2, payload masked with the byte-by-byte reference.
    static func handBuiltFrame(_ payload: [UInt8], key: [UInt8]?, opcode: UInt8 = 0x2) -> [UInt8] {
        var out: [UInt8] = [0x80 | opcode]
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        if payload.count <= 125 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            out += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> (56 - 8 * UInt64($0))) }
        }
        if let key {
            out += key
            out += referenceMask(payload, key: key)
        } else {
            out += payload
        }
        return out
    }
}
