// libFuzzer target for the SSE encoder and parsers: encode → parse must round-trip, and the fast
// decoder (`SSEEventDecoder`) must agree with the byte-by-byte `SSEParser` on the raw input, event
// for event, however the input is split.
//
// Input layout: byte 0 = flags (bit0 id, bit1 event, bit2 retry) and split seed; the rest is
// split on 0xFF into data / id / event, each decoded as (lossy) UTF-8.
import CFuzzerShim
import HTTPCodec

/// Data as the parser must return it: CRLF and CR become LF.
func normalizedLineEnds(_ text: String) -> String {
    var out: [UInt8] = []
    var previousWasCR = false
    for b in text.utf8 {
        if b == 0x0A, previousWasCR { previousWasCR = false; continue }
        previousWasCR = b == 0x0D
        out.append(b == 0x0D ? 0x0A : b)
    }
    return String(decoding: out, as: UTF8.self)
}

func parse(_ bytes: [UInt8], seed: Int) -> (events: [SSEParsedEvent], retry: Int?) {
    var parser = SSEParser()
    var events: [SSEParsedEvent] = []
    var start = 0
    var state = UInt32(truncatingIfNeeded: seed) &* 2_654_435_761 &+ 7
    while start < bytes.count {
        state = state &* 1_103_515_245 &+ 12345
        let end = min(bytes.count, start + 1 + Int((state >> 16) % 8))
        events += parser.append(bytes[start..<end])
        start = end
    }
    return (events, parser.retry)
}

/// `bytes` through `SSEEventDecoder`, in pieces from `seed`, as `SSEParser` reports events.
func decode(_ bytes: [UInt8], seed: Int, maxEventBytes: Int) -> (events: [SSEParsedEvent], retry: Int?, discarded: Int) {
    var decoder = SSEEventDecoder(maxEventBytes: maxEventBytes)
    var events: [SSEEventDecoder.Event] = []
    var start = 0
    var state = UInt32(truncatingIfNeeded: seed) &* 2_246_822_519 &+ 3
    while start < bytes.count {
        state = state &* 1_103_515_245 &+ 12345
        let end = min(bytes.count, start + 1 + Int((state >> 16) % 16))
        decoder.append(Array(bytes[start..<end]), into: &events)
        start = end
    }
    let parsed = events.map {
        SSEParsedEvent(type: $0.typeName, data: String(decoding: $0.data, as: UTF8.self),
                       lastEventID: String(decoding: $0.lastEventID, as: UTF8.self))
    }
    return (parsed, decoder.retry, decoder.discardedEventCount)
}

/// The raw input as a stream: both parsers, same events, same retry, same discards.
func differential(_ bytes: [UInt8], seed: Int) {
    let maxEventBytes = 1 + seed % 64
    var parser = SSEParser(maxEventBytes: maxEventBytes)
    let expected = parser.append(bytes)
    let (events, retry, discarded) = decode(bytes, seed: seed, maxEventBytes: maxEventBytes)
    precondition(events == expected, "SSEEventDecoder disagrees with SSEParser: \(events) vs \(expected)")
    precondition(retry == parser.retry, "retry: \(String(describing: retry)) vs \(String(describing: parser.retry))")
    precondition(discarded == parser.discardedEventCount, "discarded: \(discarded) vs \(parser.discardedEventCount)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let flags = Int(data[0])
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    differential(rest, seed: flags)
    let fields = rest.split(separator: 0xFF, maxSplits: 2, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    let payload = fields[0]
    let id = flags & 1 != 0 ? (fields.count > 1 ? fields[1] : "") : nil
    let type = flags & 2 != 0 ? (fields.count > 2 ? fields[2] : "") : nil
    let retry = flags & 4 != 0 ? flags * 37 : nil
    let event = SSEEvent(id: id, event: type, data: payload, retry: retry)

    let idInvalid = id.map { $0.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } } ?? false
    let typeInvalid = type.map { $0.utf8.contains { $0 == 0x0D || $0 == 0x0A } } ?? false
    do {
        let bytes = try SSEEncoder.encode(event)
        precondition(!idInvalid && !typeInvalid, "encoder accepted an invalid id or event type")
        let (events, parsedRetry) = parse(bytes, seed: flags)
        let expected = SSEParsedEvent(
            type: (type?.isEmpty ?? true) ? "message" : type!, data: normalizedLineEnds(payload), lastEventID: id ?? "")
        precondition(events == [expected], "round trip mismatch: \(events) vs \(expected)")
        precondition(parsedRetry == retry, "retry mismatch")
    } catch {
        precondition(idInvalid || typeInvalid, "encoder rejected a valid event: \(error)")
    }

    // The JSON fast path must agree with the general path for the same payload bytes.
    let fast = SSEEncoder.encodeData(json: Array(payload.utf8), id: idInvalid ? nil : id, event: typeInvalid ? nil : type)
    let (fastEvents, _) = parse(fast, seed: flags >> 3)
    precondition(fastEvents.count == 1 && fastEvents[0].data == normalizedLineEnds(payload), "fast path mismatch")
    return 0
}

if cfuzzer_driver_available() != 0 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    _ = cfuzzer_run_driver(&argc, &argv) { data, size in
        Int32(fuzzTestOneInput(data!, size))
    }
} else {
    print("FuzzSSE: not built with -sanitize=fuzzer; build with Tests/Fuzz/run-fuzz.sh FuzzSSE 30")
}
