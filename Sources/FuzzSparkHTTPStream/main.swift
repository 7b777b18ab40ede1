// libFuzzer target for SparkHTTPStreamDecoder (recipe A: weak LLVMFuzzerRunDriver from CFuzzerShim).
//
// Input layout: byte 0 = split seed (bit 7: also run with a 64-byte event bound); the rest is the
// response body. The seeds in Tests/Fuzz/Corpus/SparkHTTPStream are a zero byte plus a Spark answer.
//
// Invariants: nothing traps; splitting the body anywhere gives the same frames and the same error
// as one `append` (with an event bound larger than the input, so that no event is discarded: an
// oversize event is noticed at its end, which depends on the split); every frame's `payloadJSON` is
// valid, compact JSON without raw CR/LF; statuses go 0, 1…, with 2 only on the last frame; `seq`
// counts frames; after `[DONE]` or an error the decoder returns nothing more; the chunk fast path
// and the general path give the same frames and the same error.
import CFuzzerShim
import JSON
import SparkCodec

struct Outcome: Equatable {
    var frames: [SparkResponseFrame] = []
    var error: SparkError?
}

func run(_ body: ArraySlice<UInt8>, seed: Int, maxEventBytes: Int, fastPath: Bool = true) -> Outcome {
    var decoder = SparkHTTPStreamDecoder(maxEventBytes: maxEventBytes)
    decoder.usesFastPath = fastPath
    var outcome = Outcome()
    var start = body.startIndex
    var state = UInt32(truncatingIfNeeded: seed) &* 2_654_435_761 &+ 7
    do throws(SparkError) {
        while start < body.endIndex {
            let end: Int
            if seed == 0 {
                end = body.endIndex
            } else {
                state = state &* 1_103_515_245 &+ 12345
                end = min(body.endIndex, start + 1 + Int((state >> 16) % 16))
            }
            let frames = try decoder.append(body[start..<end])
            outcome.frames += frames
            start = end
        }
        outcome.frames += try decoder.finish()
    } catch {
        outcome.error = error
    }
    precondition(outcome.frames.count == decoder.frameCount, "frameCount differs from the frames returned")
    // After the end, nothing more comes out.
    if outcome.error != nil || decoder.isFinished {
        precondition((try? decoder.append(Array("data:{}\n\n".utf8)))?.isEmpty ?? true, "frames after the end")
    }
    return outcome
}

func check(_ outcome: Outcome) {
    for (index, frame) in outcome.frames.enumerated() {
        precondition(frame.seq == index, "seq does not count frames")
        let isLastFrame = index == outcome.frames.count - 1
        if frame.status == 2 {
            precondition(isLastFrame, "a frame after the last frame")
        } else {
            precondition(frame.status == (index == 0 ? 0 : 1) && frame.usage == nil, "bad status")
        }
        precondition(frame.choicesStatus == frame.status && frame.hasChoices, "inconsistent choices status")
        let payload = frame.payloadJSON ?? []
        precondition(JSONScanner.isValid(payload), "payloadJSON is not valid JSON")
        precondition(JSONScanner.compact(payload) == payload, "payloadJSON is not compact")
        precondition(!payload.contains(0x0A) && !payload.contains(0x0D), "payloadJSON has a raw line break")
        precondition(frame.functionCall == frame.functionCalls.first, "functionCall is not the first call")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let flags = Int(data[0])
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))[...]
    let bound = body.count + 16
    let whole = run(body, seed: 0, maxEventBytes: bound)
    let split = run(body, seed: flags | 1, maxEventBytes: bound)
    precondition(whole == split, "splitting changed the result: \(whole) vs \(split)")
    let general = run(body, seed: 0, maxEventBytes: bound, fastPath: false)
    precondition(whole == general, "the fast path and the general path differ: \(whole) vs \(general)")
    check(whole)
    if flags & 0x80 != 0 {
        check(run(body, seed: flags, maxEventBytes: 64))
    }
    return 0
}

if cfuzzer_driver_available() != 0 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    _ = cfuzzer_run_driver(&argc, &argv) { data, size in
        Int32(fuzzTestOneInput(data!, size))
    }
} else {
    print("FuzzSparkHTTPStream: not built with -sanitize=fuzzer; build with Tests/Fuzz/run-fuzz.sh FuzzSparkHTTPStream 30")
}
