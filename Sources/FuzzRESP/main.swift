// libFuzzer target for RESPDecoder and RESPEncoder (recipe A: weak LLVMFuzzerRunDriver from CFuzzerShim).
//
// Input layout: byte 0 = seed (bit 0: attribute mode of the first decoder; the rest: split points);
// the rest is used twice: as wire bytes for the decoder, and as a recipe for building values.
//
// Invariants checked on every input:
// - nothing traps (decoder, encoder, equality);
// - a failed decoder stays failed with the same error;
// - feeding the bytes whole, in seed-chosen pieces (through the raw-buffer `append`) and byte by byte
//   gives the same values, the same error kind and the same leftover byte count;
// - `.skip` and `.attach` decoders agree on everything once attributes are stripped, and a `.skip`
//   decoder never returns `.attributed`;
// - every decoded value is within the limits (depth, counts, blob lengths) and re-encodes, and
//   decoding that encoding gives an equal value (decode(encode(v)) == v);
// - values and commands built from the input encode, and decode back to themselves, fed whole and
//   in pieces.
import CFuzzerShim
import RESPCodec

/// Small limits so that every limit error is reachable with small inputs.
let fuzzLimits = RESPDecoderLimits(maxBulkLength: 64, maxAggregateCount: 8, maxDepth: 6, maxLineLength: 40, maxReplyBytes: 512)

/// What a feed produced.
struct Outcome: Equatable {
    var values: [RESPValue]
    var error: RESPDecodingError.Kind?
    var leftover: Int?
}

func decode(_ pieces: [ArraySlice<UInt8>], mode: RESPDecoder.AttributeHandling, limits: RESPDecoderLimits, raw: Bool) -> Outcome {
    var decoder = RESPDecoder(limits: limits, attributes: mode)
    var values: [RESPValue] = []
    do {
        for piece in pieces {
            if raw {
                piece.withUnsafeBytes { decoder.append($0) }
            } else {
                decoder.append(piece)
            }
            while let value = try decoder.next() { values.append(value) }
        }
        return Outcome(values: values, error: nil, leftover: decoder.bufferedByteCount)
    } catch {
        do {
            _ = try decoder.next()
            preconditionFailure("decoder recovered after \(error)")
        } catch let again {
            precondition(again == error, "different error after failure: \(again) vs \(error)")
        }
        return Outcome(values: values, error: error.kind, leftover: nil)
    }
}

/// Pieces of pseudo-random length (1...32) derived from `seed`.
func split(_ bytes: [UInt8], seed: UInt8) -> [ArraySlice<UInt8>] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    var state = UInt32(seed) &* 2_654_435_761 &+ 1
    while start < bytes.count {
        state = state &* 1_103_515_245 &+ 12345
        let length = 1 + Int((state >> 16) % UInt32(max(1, min(bytes.count - start, 32))))
        pieces.append(bytes[start..<min(bytes.count, start + length)])
        start += length
    }
    return pieces
}

/// `value` without any attributes.
func stripped(_ value: RESPValue) -> RESPValue {
    switch value {
    case .attributed(_, let inner): stripped(inner)
    case .array(let values): .array(values.map(stripped))
    case .set(let values): .set(values.map(stripped))
    case .push(let values): .push(values.map(stripped))
    case .map(let pairs): .map(pairs.map { RESPPair(stripped($0.key), stripped($0.value)) })
    default: value
    }
}

/// Checks that a decoded `value` respects the limits, at aggregate depth `depth` (1 = top level).
func checkLimits(_ value: RESPValue, depth: Int, mode: RESPDecoder.AttributeHandling) {
    switch value {
    case .bulkString(let bytes): precondition(bytes.count <= fuzzLimits.maxBulkLength, "blob over the limit")
    case .verbatimString(_, let text): precondition(text.count + 4 <= fuzzLimits.maxBulkLength, "verbatim over the limit")
    case .bulkError(let text): precondition(text.utf8.count <= 3 * fuzzLimits.maxBulkLength, "blob error over the limit")
    case .array(let values), .set(let values), .push(let values):
        precondition(depth <= fuzzLimits.maxDepth && values.count <= fuzzLimits.maxAggregateCount, "aggregate over the limits")
        if case .push = value { precondition(depth == 1, "nested push returned") }
        for element in values { checkLimits(element, depth: depth + 1, mode: mode) }
    case .map(let pairs):
        precondition(depth <= fuzzLimits.maxDepth && pairs.count <= fuzzLimits.maxAggregateCount, "map over the limits")
        for pair in pairs {
            checkLimits(pair.key, depth: depth + 1, mode: mode)
            checkLimits(pair.value, depth: depth + 1, mode: mode)
        }
    case .attributed(let pairs, let inner):
        precondition(mode == .attach, "attribute returned in skip mode")
        precondition(depth <= fuzzLimits.maxDepth && pairs.count <= fuzzLimits.maxAggregateCount, "attribute over the limits")
        for pair in pairs {
            checkLimits(pair.key, depth: depth + 1, mode: mode)
            checkLimits(pair.value, depth: depth + 1, mode: mode)
        }
        checkLimits(inner, depth: depth, mode: mode)
    default:
        break
    }
}

/// decode(encode(v)) == v, whole and split.
func checkRoundTrip(_ value: RESPValue, mode: RESPDecoder.AttributeHandling, seed: UInt8) {
    let wire: [UInt8]
    do {
        wire = try RESPEncoder.encode(value)
    } catch {
        preconditionFailure("a decoded or valid built value did not encode: \(error)")
    }
    for pieces in [[wire[...]], split(wire, seed: seed)] {
        let again = decode(pieces, mode: mode, limits: RESPDecoderLimits(), raw: false)
        precondition(again == Outcome(values: [value], error: nil, leftover: 0), "round trip changed \(value) into \(again)")
    }
}

/// Reads a recipe from the fuzz input; returns zeros once it runs out.
struct Recipe {
    var bytes: ArraySlice<UInt8>
    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    mutating func take(_ count: Int) -> [UInt8] {
        let taken = Array(bytes.prefix(count))
        bytes = bytes.dropFirst(count)
        return taken
    }
    /// Text without CR/LF (from ASCII letters and a few multi-byte characters).
    mutating func line() -> String {
        let count = Int(byte() % 8)
        let alphabet: [String] = ["a", "Z", " ", "é", "€", "0", ":", "\u{FFFD}", "-", "+"]
        return (0..<count).map { _ in alphabet[Int(byte()) % alphabet.count] }.joined()
    }

    /// A valid value; aggregates only while `depth` allows and the recipe lasts.
    mutating func value(depth: Int, topLevel: Bool) -> RESPValue {
        let tag = bytes.isEmpty ? 5 : byte() % 17
        switch tag {
        case 0: return .simpleString(line())
        case 1: return .error(line())
        case 2: return .integer(Int64(bitPattern: take(8).reduce(0) { $0 << 8 | UInt64($1) }))
        case 3: return .bulkString(take(Int(byte() % 12)))
        case 4: return .bulkError(String(decoding: take(Int(byte() % 12)), as: UTF8.self))
        case 5: return .null
        case 6: return .boolean(byte() & 1 == 1)
        case 7:
            let bits = take(8).reduce(0) { $0 << 8 | UInt64($1) }
            return .double(Double(bitPattern: bits))
        case 8:
            let digits = (0..<(1 + Int(byte() % 40))).map { _ in Character(String(byte() % 10)) }
            return .bigNumber(["", "-", "+"][Int(byte() % 3)] + String(digits))
        case 9:
            let formats = ["txt", "mkd", "a_b", "~!@"]
            return .verbatimString(format: formats[Int(byte()) % formats.count], text: take(Int(byte() % 12)))
        default:
            guard depth < 5 else { return .integer(Int64(tag)) }
            let count = Int(byte() % 5)
            switch tag {
            case 10, 11: return .array((0..<count).map { _ in value(depth: depth + 1, topLevel: false) })
            case 12: return .set((0..<count).map { _ in value(depth: depth + 1, topLevel: false) })
            case 13:
                return .map((0..<count).map { _ in
                    RESPPair(value(depth: depth + 1, topLevel: false), value(depth: depth + 1, topLevel: false))
                })
            case 14 where topLevel:
                return .push((0..<count).map { _ in value(depth: depth + 1, topLevel: false) })
            default:
                let pairs = (0..<count).map { _ in
                    RESPPair(value(depth: depth + 1, topLevel: false), value(depth: depth + 1, topLevel: false))
                }
                return .attributed(pairs, value(depth: depth, topLevel: topLevel))
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let seed = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let mode: RESPDecoder.AttributeHandling = seed & 1 == 0 ? .skip : .attach
    let other: RESPDecoder.AttributeHandling = mode == .skip ? .attach : .skip

    // Arbitrary bytes: every feed agrees, and what decodes round-trips.
    let whole = decode([bytes[...]], mode: mode, limits: fuzzLimits, raw: false)
    let pieces = decode(split(bytes, seed: seed), mode: mode, limits: fuzzLimits, raw: true)
    precondition(whole == pieces, "whole and split feeds disagree: \(whole) vs \(pieces)")
    let byteByByte = decode(bytes.indices.map { bytes[$0...$0] }, mode: mode, limits: fuzzLimits, raw: false)
    precondition(whole == byteByByte, "whole and byte-by-byte feeds disagree: \(whole) vs \(byteByByte)")
    let otherMode = decode([bytes[...]], mode: other, limits: fuzzLimits, raw: false)
    precondition(whole.error == otherMode.error && whole.leftover == otherMode.leftover
                 && whole.values.map(stripped) == otherMode.values.map(stripped),
                 "skip and attach modes disagree: \(whole) vs \(otherMode)")
    for value in whole.values {
        checkLimits(value, depth: 1, mode: mode)
        checkRoundTrip(value, mode: mode, seed: seed)
    }

    // Values built from the same bytes: encode, then decode to the same values.
    var recipe = Recipe(bytes: bytes[...])
    var built: [RESPValue] = []
    var wire: [UInt8] = []
    while !recipe.bytes.isEmpty, built.count < 16 {
        let value = recipe.value(depth: 0, topLevel: true)
        checkRoundTrip(value, mode: .attach, seed: seed)
        do {
            try RESPEncoder.encode(value, into: &wire)
        } catch {
            preconditionFailure("built value did not encode: \(error)")
        }
        built.append(value)
    }
    let concatenated = decode(split(wire, seed: seed), mode: .attach, limits: RESPDecoderLimits(), raw: false)
    precondition(concatenated == Outcome(values: built, error: nil, leftover: 0), "pipelined values changed")

    // A command from the input's bytes: an array of blob strings.
    let arguments = split(bytes, seed: seed).prefix(8).map(Array.init)
    let command = RESPCommand("CMD", binaryArguments: arguments)
    let commandWire = RESPEncoder.encode(command)
    let decodedCommand = decode([commandWire[...]], mode: .skip, limits: RESPDecoderLimits(), raw: false)
    let expected = RESPValue.array([.bulkString(Array("CMD".utf8))] + arguments.map { .bulkString($0) })
    precondition(decodedCommand == Outcome(values: [expected], error: nil, leftover: 0), "command round trip failed")
    return 0
}

if cfuzzer_driver_available() != 0 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    _ = cfuzzer_run_driver(&argc, &argv) { data, size in
        Int32(fuzzTestOneInput(data!, size))
    }
} else {
    print("FuzzRESP: not built with -sanitize=fuzzer; build with Tests/Fuzz/run-fuzz.sh FuzzRESP 30")
}
