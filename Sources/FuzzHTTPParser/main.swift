// libFuzzer target for HTTPRequestParser (recipe A: weak LLVMFuzzerRunDriver from CFuzzerShim).
//
// Invariants checked on every input: the parser never traps, and feeding the input whole gives
// the same heads, concatenated bodies, ends and error kind as feeding it in pieces split at
// seed-chosen offsets.
import CFuzzerShim
import HTTPCodec

/// What a feed produced, with body pieces merged so that split feeds compare equal.
enum Outcome: Equatable {
    case head(HTTPRequestHead)
    case body([UInt8])
    case end
    case error(HTTPParserError.Kind)
}

let fuzzLimits = HTTPParserLimits(
    maxRequestLineBytes: 128, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 512, maxChunkLineBytes: 32)

func run(_ pieces: [ArraySlice<UInt8>]) -> [Outcome] {
    var parser = HTTPRequestParser(limits: fuzzLimits)
    var out: [Outcome] = []
    func record(_ part: HTTPRequestPart) {
        switch part {
        case .head(let head): out.append(.head(head))
        case .end: out.append(.end)
        case .body(let bytes):
            precondition(!bytes.isEmpty, "empty body part")
            if case .body(let previous)? = out.last {
                out[out.count - 1] = .body(previous + bytes)
            } else {
                out.append(.body(bytes))
            }
        }
    }
    do {
        for piece in pieces {
            parser.append(piece)
            while let part = try parser.next() { record(part) }
        }
        try parser.endOfInput()
    } catch {
        out.append(.error(error.kind))
        // A failed parser stays failed with the same error.
        do {
            _ = try parser.next()
            preconditionFailure("parser recovered after \(error)")
        } catch let again {
            precondition(again == error, "different error after failure")
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let seed = Int(data[0])
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = run([bytes[...]])

    // Split at pseudo-random offsets derived from the first byte.
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    var state = UInt32(seed) &* 2_654_435_761 &+ 1
    while start < bytes.count {
        state = state &* 1_103_515_245 &+ 12345
        let length = 1 + Int((state >> 16) % UInt32(max(1, min(bytes.count - start, 64))))
        pieces.append(bytes[start..<min(bytes.count, start + length)])
        start += length
    }
    let split = run(pieces)
    precondition(whole == split, "whole and split feeds disagree: \(whole) vs \(split)")

    let byteByByte = run(bytes.indices.map { bytes[$0...$0] })
    precondition(whole == byteByByte, "whole and byte-by-byte feeds disagree")
    return 0
}

if cfuzzer_driver_available() != 0 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    _ = cfuzzer_run_driver(&argc, &argv) { data, size in
        Int32(fuzzTestOneInput(data!, size))
    }
} else {
    print("FuzzHTTPParser: not built with -sanitize=fuzzer; build with Tests/Fuzz/run-fuzz.sh FuzzHTTPParser 30")
}
