import RESPCodec

/// Feeds decoder input whole, byte by byte and split at every offset, and checks that every feed
/// gives the same values, the same error and the same number of unconsumed bytes.
struct DecoderVerifier {
    /// The agreed outcome, or a description of the first disagreement.
    struct Outcome: Equatable {
        var values: [RESPValue]
        var error: RESPDecodingError.Kind?
        /// Bytes left buffered after the last value (`nil` after an error).
        var leftover: Int?
        var mismatch: String?
    }

    var limits = RESPDecoderLimits()
    var attributes: RESPDecoder.AttributeHandling = .skip

    /// Runs every feed of `input` and compares them with the whole feed.
    func verify(_ input: [UInt8]) -> Outcome {
        let reference = run([input[...]])
        var feeds: [(String, [ArraySlice<UInt8>])] = [("byte by byte", input.indices.map { input[$0...$0] })]
        for split in 0...input.count {
            feeds.append(("split at \(split)", [input[..<split], input[split...]]))
        }
        for (name, pieces) in feeds {
            let other = run(pieces)
            if other != reference {
                var result = reference
                result.mismatch = "\(name): \(other.values) \(String(describing: other.error)) vs whole: \(reference.values) \(String(describing: reference.error))"
                return result
            }
        }
        return reference
    }

    /// Convenience for text input.
    func verify(_ input: String) -> Outcome { verify(Array(input.utf8)) }

    private func run(_ pieces: [ArraySlice<UInt8>]) -> Outcome {
        var decoder = RESPDecoder(limits: limits, attributes: attributes)
        var values: [RESPValue] = []
        do {
            for piece in pieces {
                decoder.append(piece)
                while let value = try decoder.next() { values.append(value) }
            }
            return Outcome(values: values, error: nil, leftover: decoder.bufferedByteCount)
        } catch {
            // A failed decoder must keep failing with the same error.
            do {
                _ = try decoder.next()
                return Outcome(values: values, error: error.kind, leftover: nil, mismatch: "decoder recovered after \(error)")
            } catch let again {
                guard again == error else {
                    return Outcome(values: values, error: error.kind, leftover: nil, mismatch: "different error after \(error): \(again)")
                }
            }
            return Outcome(values: values, error: error.kind, leftover: nil)
        }
    }
}
