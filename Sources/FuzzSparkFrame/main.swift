// libFuzzer target for SparkCodec's parsers (recipe A: weak LLVMFuzzerRunDriver from CFuzzerShim).
//
// The whole input is used as is (no selector byte), so the lines of `Tests/SparkCodecTests/Fixtures/*.jsonl` are seeds:
// - SparkFrameDecoder.decode on the whole input, and on each LF-separated line in order through one
//   decoder (an answer's frames); the fast path gives exactly what the general path gives;
// - JSONScanner: compact is idempotent and keeps the parse; scanner-valid ⇒ Foundation-valid;
// - SparkChatRequest.decode(json:) (model-free and for a model), SparkAuthorization.parse,
//   FormURLEncoding.decode/parseQuery and SparkAuthVerifier.verify on the same bytes.
//
// Invariants: nothing traps; a decoded frame's `payloadJSON` / `pluginsJSON` are valid JSON per
// JSONScanner, contain no raw CR or LF, and are already compact; the frame state machine is
// consistent (`frameAfterEnd` after the last frame or an error frame); FormURLEncoding round-trips.
import CFuzzerShim
import Foundation
import JSON
import SparkCodec

/// A JSONValue without member byte ranges, so values parsed from differently spaced text compare equal.
indirect enum Shape: Equatable {
    case null, bool(Bool), number(String), string(String), array([Shape]), object([String], [Shape])

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let text): self = .number(text)
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(Shape.init))
        case .object(let members): self = .object(members.map(\.key), members.map { Shape($0.value) })
        }
    }
}

let verifier = SparkAuthVerifier(
    credentials: [SparkCredentials(appID: "app", apiKey: "key", apiSecret: "secret")], maxClockSkew: 300)
let model = SparkModelTable.default.models.first!
let fixedNow = UnixTime(secondsSince1970: 1_700_000_000)

/// JSONScanner invariants on arbitrary bytes.
func checkScanner(_ bytes: [UInt8]) {
    let compacted = JSONScanner.compact(bytes)
    precondition(JSONScanner.compact(compacted) == compacted, "compact is not idempotent")
    let parsed = try? JSONScanner.parse(bytes)
    let parsedCompact = try? JSONScanner.parse(compacted)
    if let parsed {
        guard let parsedCompact else { preconditionFailure("compact made valid JSON invalid") }
        precondition(Shape(parsed) == Shape(parsedCompact), "compact changed the parsed value")
        precondition(!compacted.contains(0x0A) && !compacted.contains(0x0D), "compact left a raw CR/LF in valid JSON")
        let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        precondition(foundation != nil, "JSONScanner accepts but Foundation rejects: \(bytes)")
        if let range = try? JSONScanner.memberRange("payload", in: bytes) {
            precondition(range == parsed.member("payload")?.valueRange, "memberRange differs from parse")
            precondition(JSONScanner.isValid(Array(bytes[range])), "a member's value range is not valid JSON")
        }
    }
}

/// The invariants of a successfully decoded frame.
func checkFrame(_ frame: SparkResponseFrame) {
    for json in [frame.payloadJSON, frame.pluginsJSON].compactMap({ $0 }) {
        precondition(JSONScanner.isValid(json), "payloadJSON/pluginsJSON is not valid JSON: \(json)")
        precondition(!json.contains(0x0A) && !json.contains(0x0D), "payloadJSON/pluginsJSON contains a raw CR/LF")
        precondition(JSONScanner.compact(json) == json, "payloadJSON/pluginsJSON is not compact")
    }
    if frame.pluginsJSON != nil { precondition(frame.payloadJSON != nil, "plugins without payload") }
    _ = frame.event
}

/// Feeds `frames` in order to one decoder and checks its state machine.
func checkDecoder(_ frames: [[UInt8]]) {
    var decoder = SparkFrameDecoder(maxFrameBytes: 64 * 1024)
    for text in frames {
        let wasFinished = decoder.isFinished
        let countBefore = decoder.frameCount
        do {
            let frame = try decoder.decode(text)
            precondition(!wasFinished, "decoded a frame after the end")
            precondition(decoder.frameCount == countBefore + 1, "frameCount did not advance")
            precondition(decoder.isFinished == frame.isLast, "isFinished disagrees with isLast")
            precondition(frame.code == 0, "success frame with a non-zero code")
            precondition(JSONScanner.isValid(text), "decoded a frame from invalid JSON")
            checkFrame(frame)
        } catch {
            precondition(decoder.frameCount == countBefore, "frameCount advanced on an error")
            switch error {
            case .frameAfterEnd: precondition(wasFinished, "frameAfterEnd before the end")
            case .upstream(let code, _, _):
                precondition(!wasFinished && code != 0 && decoder.isFinished, "inconsistent upstream error")
            case .malformedFrame: precondition(!wasFinished, "malformedFrame after the end")
            case .closedBeforeEnd: preconditionFailure("decode threw closedBeforeEnd")
            }
        }
        precondition((decoder.errorOnClose() == nil) == decoder.isFinished, "errorOnClose disagrees with isFinished")
    }
}

/// The single-pass fast path must give exactly what the general parser gives: the same frame or the
/// same error (the oracle for its in-place, word-at-a-time scanning in optimized builds).
func checkFastPath(_ bytes: [UInt8]) {
    func decode(fast: Bool) -> Result<SparkResponseFrame, SparkError> {
        var decoder = SparkFrameDecoder(maxFrameBytes: 64 * 1024)
        decoder.usesFastPath = fast
        return Result { () throws(SparkError) in try decoder.decode(bytes) }
    }
    let fast = decode(fast: true)
    let general = decode(fast: false)
    precondition(fast == general, "fast path \(fast) differs from the general path \(general)")
}

/// The non-JSON parsers on the input as text; nothing may trap.
func checkText(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let authorization = SparkAuthorization.parse(text) {
        precondition(!authorization.apiKey.isEmpty, "parsed an empty api key")
    }
    let safe = String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "+" || $0 == "/") })
    let canonical = SparkAuthorization.canonical(apiKey: safe.isEmpty ? "k" : safe, signature: safe)
    precondition(
        SparkAuthorization.parse(canonical)
            == SparkAuthorization(apiKey: safe.isEmpty ? "k" : safe, algorithm: "hmac-sha256",
                                  headers: ["host", "date", "request-line"], signature: safe),
        "canonical authorization does not parse back: \(canonical)")

    _ = FormURLEncoding.decode(text)
    let encoded = FormURLEncoding.encode(text)
    precondition(FormURLEncoding.decode(encoded) == text, "FormURLEncoding round trip failed for \(bytes)")
    if let pairs = FormURLEncoding.parseQuery(text) {
        for (name, value) in pairs { _ = (name.count, value.count) }
    }
    _ = verifier.verify(path: "/v1.1/chat", query: text, hostHeader: "spark-api.xf-yun.com", now: fixedNow)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    checkScanner(bytes)
    checkDecoder([bytes])
    checkFastPath(bytes)
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true).map(Array.init)
    if lines.count > 1 {
        checkDecoder(lines)
        for line in lines { checkScanner(line) }
    }

    _ = try? SparkChatRequest.decode(json: bytes)
    _ = try? SparkChatRequest.decode(json: bytes, for: model)
    checkText(bytes)
    return 0
}

if cfuzzer_driver_available() != 0 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    _ = cfuzzer_run_driver(&argc, &argv) { data, size in
        Int32(fuzzTestOneInput(data!, size))
    }
} else {
    print("FuzzSparkFrame: not built with -sanitize=fuzzer; build with Tests/Fuzz/run-fuzz.sh FuzzSparkFrame 30")
}
