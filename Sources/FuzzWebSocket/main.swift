// libFuzzer target for WebSocketFrameDecoder → WebSocketMessageAssembler (recipe A: weak
// LLVMFuzzerRunDriver from CFuzzerShim).
//
// Input layout: byte 0 = bit 0 role (0 client, 1 server) and the split seed; the rest is wire bytes.
//
// Invariants checked on every input:
// - nothing traps (decoder, assembler, encoder, UTF8Validator);
// - a failed decoder stays failed with the same error;
// - feeding the bytes whole, in seed-chosen pieces (through the raw-buffer `append`) and byte by byte
//   gives the same frames, messages and error kind;
// - a masked frame's wire payload, unmasked byte by byte per RFC 6455 §5.3, is the decoded payload,
//   and the encoder's masked output unmasks to its input the same way;
// - every decoded frame re-encodes to exactly the wire bytes it was decoded from (lengths are minimal,
//   the masking key is kept), and decoding that encoding again gives an equal frame (payload, opcode,
//   fin, mask); the payload also round-trips through the opposite role (masked ↔ unmasked);
// - a data message equals the concatenation of its fragments' payloads (text without lossy repair);
// - the assembler's UTF-8 verdict agrees with `String(validating:as:)` on complete text messages and
//   close reasons, and (on unfinished text) with whether the bytes so far can still start valid UTF-8;
// - UTF8Validator, fed the raw input whole and in pieces, agrees with `String(validating:as:)`.
import CFuzzerShim
import WebSocketCodec

/// What a feed produced.
enum Outcome: Equatable {
    case frame(WebSocketFrame)
    case message(WebSocketMessage)
    case decoderError(WebSocketProtocolError.Kind)
    case assemblerError(WebSocketProtocolError.Kind)
}

/// Small limits so that `frameTooLarge` and `messageTooLarge` are reachable with small inputs.
let fuzzMaxFrameSize = 300
let fuzzMaxMessageSize = 600

/// `true` when `bytes` is valid UTF-8 or a prefix of valid UTF-8 (an unfinished last character).
func isViableUTF8Prefix(_ bytes: [UInt8]) -> Bool {
    for missing in 0...3 {
        let rest = [UInt8](repeating: 0x80, count: max(0, missing - 1))
        let completions: [[UInt8]] = missing == 0 ? [[]] : [[0x80] + rest, [0x90] + rest, [0xA0] + rest]
        for completion in completions where String(validating: bytes + completion, as: UTF8.self) != nil {
            return true
        }
    }
    return false
}

/// Checks one assembler step against an independent model of the message in progress.
struct ShadowAssembler {
    var opcode: WebSocketOpcode?
    var bytes: [UInt8] = []

    mutating func check(_ frame: WebSocketFrame, result: Result<WebSocketMessage?, WebSocketProtocolError>) {
        if frame.opcode.isControl {
            guard frame.opcode == .close else { return }
            let reason = frame.payload.count >= 2 ? Array(frame.payload[2...]) : []
            let reasonValid = String(validating: reason, as: UTF8.self) != nil
            switch result {
            case .success(.close(let code, let text)?):
                if frame.payload.isEmpty {
                    precondition(code == nil && text.isEmpty, "empty close body parsed as \(String(describing: code)) \(text)")
                } else {
                    precondition(reasonValid, "close reason accepted but String(validating:) rejects it: \(reason)")
                    precondition(Array(text.utf8) == reason, "close reason changed")
                    precondition(code?.rawValue == UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]), "close code changed")
                }
            case .failure(let error) where error.kind == .invalidUTF8:
                precondition(!reasonValid, "close reason rejected but String(validating:) accepts it: \(reason)")
            case .failure:
                break
            case .success(let other):
                preconditionFailure("close frame gave \(String(describing: other))")
            }
            return
        }
        let startsMessage = frame.opcode != .continuation
        if startsMessage {
            guard opcode == nil else { return }  // expectedContinuation; assembler must have thrown
            opcode = frame.opcode
            bytes = []
        } else if opcode == nil {
            return  // unexpectedContinuation
        }
        let soFar = bytes + frame.payload
        switch result {
        case .failure(let error):
            if error.kind == .invalidUTF8 {
                precondition(opcode == .text, "invalidUTF8 on a binary message")
                if frame.fin {
                    precondition(String(validating: soFar, as: UTF8.self) == nil, "valid text message rejected: \(soFar)")
                } else {
                    precondition(!isViableUTF8Prefix(soFar), "viable text prefix rejected: \(soFar)")
                }
            }
            opcode = nil
            bytes = []
        case .success(nil):
            precondition(!frame.fin, "final frame produced no message")
            if opcode == .text {
                precondition(isViableUTF8Prefix(soFar), "non-viable text prefix accepted: \(soFar)")
            }
            bytes = soFar
        case .success(let message?):
            precondition(frame.fin, "non-final frame produced a message")
            switch message {
            case .text(let text):
                precondition(opcode == .text, "text message from a \(String(describing: opcode)) frame")
                precondition(String(validating: soFar, as: UTF8.self) != nil, "invalid UTF-8 accepted as text: \(soFar)")
                precondition(Array(text.utf8) == soFar, "text message differs from its fragments")
            case .binary(let data):
                precondition(opcode == .binary, "binary message from a \(String(describing: opcode)) frame")
                precondition(data == soFar, "binary message differs from its fragments")
            default:
                preconditionFailure("data frame gave \(message)")
            }
            opcode = nil
            bytes = []
        }
    }
}

/// RFC 6455 §5.3 byte by byte: the oracle for the codec's eight-bytes-per-step masking.
func referenceMask(_ bytes: some Collection<UInt8>, key: [UInt8]) -> [UInt8] {
    bytes.enumerated().map { $0.element ^ key[$0.offset % 4] }
}

/// Checks that the last `payload.count` bytes of `wire` are `payload` masked with `key` by the reference.
func checkMasking(wire: some Collection<UInt8>, payload: [UInt8], key: [UInt8]?) {
    let onWire = Array(wire.suffix(payload.count))
    if let key {
        precondition(referenceMask(onWire, key: key) == payload, "reference unmasking of the wire payload differs from the payload")
    } else {
        precondition(onWire == payload, "unmasked wire payload differs from the payload")
    }
}

/// Re-encodes `frame` and checks it against the `wire` bytes it came from, then decodes it again.
func checkRoundTrip(_ frame: WebSocketFrame, wire: ArraySlice<UInt8>, role: WebSocketRole, seed: UInt8) {
    checkMasking(wire: wire, payload: frame.payload, key: frame.maskingKey)
    let encoded = WebSocketFrameEncoder.encode(frame)
    precondition(encoded.elementsEqual(wire), "re-encoding differs from the wire bytes: \(encoded) vs \(Array(wire))")
    precondition(
        WebSocketFrameEncoder.encode(opcode: frame.opcode, payload: frame.payload, fin: frame.fin, maskingKey: frame.maskingKey) == encoded,
        "encode(opcode:payload:fin:maskingKey:) differs from encode(_:)")

    var again = WebSocketFrameDecoder(role: role, maxFrameSize: fuzzMaxFrameSize)
    again.append(encoded)
    do {
        let decoded = try again.next()
        precondition(decoded == frame, "round trip changed the frame: \(String(describing: decoded)) vs \(frame)")
        precondition(again.bufferedByteCount == 0, "round trip left bytes behind")
    } catch {
        preconditionFailure("re-encoded frame rejected: \(error)")
    }

    // Inputs are too short for 64-bit lengths, so on 1/16 of the seeds a data frame is widened past
    // 65535 bytes (its payload repeated) and round-tripped through a decoder that admits it.
    if seed & 0xF0 == 0xF0, !frame.opcode.isControl {
        let wideCount = 65_536 + Int(seed & 0x0F)
        var widePayload = frame.payload.isEmpty ? [seed] : frame.payload
        while widePayload.count < wideCount { widePayload += widePayload }
        let wide = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, maskingKey: frame.maskingKey,
                                  payload: Array(widePayload.prefix(wideCount)))
        let wideWire = WebSocketFrameEncoder.encode(wide)
        precondition(wideWire[1] & 0x7F == 127 && wideWire.count == wideCount + 10 + (frame.maskingKey == nil ? 0 : 4),
                     "64-bit length header is wrong")
        var wideDecoder = WebSocketFrameDecoder(role: role, maxFrameSize: 1 << 17)
        wideDecoder.append(wideWire.prefix(Int(seed & 0x0F) + 3))
        wideDecoder.append(wideWire.dropFirst(Int(seed & 0x0F) + 3))
        do {
            let decoded = try wideDecoder.next()
            precondition(decoded == wide, "64-bit length round trip changed the frame")
        } catch {
            preconditionFailure("64-bit length frame rejected: \(error)")
        }
    }

    // The opposite role: masked frames become unmasked and vice versa.
    let otherRole: WebSocketRole = role == .client ? .server : .client
    let otherKey: [UInt8]? = frame.maskingKey == nil ? [seed, seed &+ 0x5A, ~seed, seed ^ 0xA5] : nil
    let flipped = WebSocketFrameEncoder.encode(opcode: frame.opcode, payload: frame.payload, fin: frame.fin, maskingKey: otherKey)
    checkMasking(wire: flipped, payload: frame.payload, key: otherKey)
    var other = WebSocketFrameDecoder(role: otherRole, maxFrameSize: fuzzMaxFrameSize)
    other.append(flipped)
    do {
        let decoded = try other.next()
        precondition(
            decoded == WebSocketFrame(fin: frame.fin, opcode: frame.opcode, maskingKey: otherKey, payload: frame.payload),
            "opposite-role round trip changed the frame")
    } catch {
        preconditionFailure("opposite-role frame rejected: \(error)")
    }
}

/// Feeds `pieces` (which make up `all`) to a decoder and assembler; checks round trips and the shadow model on the way.
func run(_ all: [UInt8], _ pieces: [ArraySlice<UInt8>], role: WebSocketRole, seed: UInt8, rawAppend: Bool, checkFrames: Bool) -> [Outcome] {
    var decoder = WebSocketFrameDecoder(role: role, maxFrameSize: fuzzMaxFrameSize)
    var assembler = WebSocketMessageAssembler(maxMessageSize: fuzzMaxMessageSize)
    var shadow = ShadowAssembler()
    var out: [Outcome] = []
    // Absolute offset of the first byte not yet returned as a frame.
    var consumed = 0
    var appended = 0

    for piece in pieces {
        if rawAppend {
            piece.withUnsafeBytes { decoder.append($0) }
        } else {
            decoder.append(piece)
        }
        appended += piece.count
        while true {
            let frame: WebSocketFrame
            do {
                guard let next = try decoder.next() else { break }
                frame = next
            } catch {
                out.append(.decoderError(error.kind))
                do {
                    _ = try decoder.next()
                    preconditionFailure("decoder recovered after \(error)")
                } catch let again {
                    precondition(again == error, "different error after failure: \(again) vs \(error)")
                }
                return out
            }
            let end = appended - decoder.bufferedByteCount
            precondition(end > consumed, "a frame consumed no bytes")
            precondition(!frame.rsv1 && !frame.rsv2 && !frame.rsv3 && frame.opcode.isKnown, "decoder returned an illegal frame")
            precondition(frame.payload.count <= fuzzMaxFrameSize, "decoder returned an oversize frame")
            precondition((frame.maskingKey != nil) == (role == .server), "decoder returned a frame masked for the wrong role")
            if checkFrames {
                checkRoundTrip(frame, wire: all[consumed..<end], role: role, seed: seed)
            }
            consumed = end
            out.append(.frame(frame))

            let result: Result<WebSocketMessage?, WebSocketProtocolError>
            do {
                result = .success(try assembler.receive(frame))
            } catch {
                result = .failure(error)
            }
            if checkFrames { shadow.check(frame, result: result) }
            switch result {
            case .success(let message?): out.append(.message(message))
            case .success(nil): break
            case .failure(let error):
                out.append(.assemblerError(error.kind))
                return out
            }
        }
    }
    precondition(decoder.bufferedByteCount == appended - consumed, "buffered byte count is off")
    return out
}

/// Pieces of pseudo-random length (1...64) derived from `seed`.
func split(_ bytes: [UInt8], seed: UInt8) -> [ArraySlice<UInt8>] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    var state = UInt32(seed) &* 2_654_435_761 &+ 1
    while start < bytes.count {
        state = state &* 1_103_515_245 &+ 12345
        let length = 1 + Int((state >> 16) % UInt32(max(1, min(bytes.count - start, 64))))
        pieces.append(bytes[start..<min(bytes.count, start + length)])
        start += length
    }
    return pieces
}

/// UTF8Validator on arbitrary bytes against the standard library.
func checkValidator(_ bytes: [UInt8], pieces: [ArraySlice<UInt8>]) {
    let expected = String(validating: bytes, as: UTF8.self) != nil

    var whole = UTF8Validator()
    let wholeOK = whole.validate(bytes)
    precondition((wholeOK && whole.isComplete) == expected, "UTF8Validator(whole) disagrees with String(validating:) on \(bytes)")
    if wholeOK, !whole.isComplete {
        precondition(isViableUTF8Prefix(bytes), "UTF8Validator accepted a non-viable prefix \(bytes)")
    }
    if !wholeOK {
        precondition(!isViableUTF8Prefix(bytes), "UTF8Validator rejected a viable prefix \(bytes)")
    }

    // Pieces through the contiguous path, and a non-contiguous sequence through the byte path.
    var incremental = UTF8Validator()
    var incrementalOK = true
    for piece in pieces where !incremental.validate(piece) {
        incrementalOK = false
    }
    precondition(incrementalOK == wholeOK && incremental.isComplete == whole.isComplete, "UTF8Validator split disagrees with whole")
    var sequential = UTF8Validator()
    let sequentialOK = sequential.validate(bytes.lazy.map { $0 })
    precondition(sequentialOK == wholeOK && sequential.isComplete == whole.isComplete, "UTF8Validator byte path disagrees")

    var reused = incremental
    reused.reset()
    precondition(reused.validate(bytes) == wholeOK && reused.isComplete == whole.isComplete, "UTF8Validator reset is not fresh")
}

/// closePayload truncates the reason on a character boundary to fit 125 bytes, and parseClose reads it back.
func checkClosePayload(_ bytes: [UInt8], seed: UInt8) {
    let reason = String(decoding: bytes, as: UTF8.self)
    let code = WebSocketCloseCode(rawValue: seed & 1 == 0 ? 1000 : 4000 + UInt16(seed))
    let payload = WebSocketFrameEncoder.closePayload(code: code, reason: reason)
    precondition(payload.count <= 125, "close payload longer than 125 bytes")
    let sent = Array(payload.dropFirst(2))
    precondition(reason.utf8.starts(with: sent), "close reason is not a prefix of the original")
    precondition(sent.count == reason.utf8.count || sent.count > WebSocketFrameEncoder.maxCloseReasonLength - 4,
                 "close reason truncated more than one character")
    do {
        let parsed = try WebSocketMessageAssembler.parseClose(payload)
        precondition(parsed == .close(code: code, reason: String(decoding: sent, as: UTF8.self)), "close payload round trip failed")
    } catch {
        preconditionFailure("closePayload produced an unparseable body: \(error)")
    }
}

/// The frames that decoded from `bytes`, replayed until past the decoder's 4 KiB compaction threshold
/// (unreachable with libFuzzer's 4 KiB inputs otherwise), come out again in order.
func checkCompaction(_ bytes: [UInt8], role: WebSocketRole, seed: UInt8, frameCount: Int) {
    var decoder = WebSocketFrameDecoder(role: role, maxFrameSize: fuzzMaxFrameSize)
    decoder.append(bytes)
    var frames: [WebSocketFrame] = []
    while let frame = try? decoder.next() { frames.append(frame) }
    let good = bytes.count - decoder.bufferedByteCount
    guard good > 0 else { return }
    var stream: [UInt8] = []
    var rounds = 0
    while stream.count < 4096 + 2 * good + 128 { stream += bytes[..<good]; rounds += 1 }
    var replay = WebSocketFrameDecoder(role: role, maxFrameSize: fuzzMaxFrameSize)
    var index = 0
    for piece in split(stream, seed: seed) {
        replay.append(piece)
        do {
            while let frame = try replay.next() {
                precondition(frame == frames[index % frames.count], "replayed frame \(index) differs")
                index += 1
            }
        } catch {
            preconditionFailure("replayed valid frames rejected: \(error)")
        }
    }
    precondition(index == frames.count * rounds && replay.bufferedByteCount == 0, "replay lost frames")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let seed = data[0]
    let role: WebSocketRole = seed & 1 == 0 ? .client : .server
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let pieces = split(bytes, seed: seed)

    let whole = run(bytes, [bytes[...]], role: role, seed: seed, rawAppend: false, checkFrames: true)
    let splitFeed = run(bytes, pieces, role: role, seed: seed, rawAppend: true, checkFrames: true)
    precondition(whole == splitFeed, "whole and split feeds disagree: \(whole) vs \(splitFeed)")
    let byteByByte = run(bytes, bytes.indices.map { bytes[$0...$0] }, role: role, seed: seed, rawAppend: false, checkFrames: false)
    precondition(whole == byteByByte, "whole and byte-by-byte feeds disagree: \(whole) vs \(byteByByte)")

    checkValidator(bytes, pieces: pieces)
    checkClosePayload(bytes, seed: seed)
    if seed & 0xF0 == 0xE0 { checkCompaction(bytes, role: role, seed: seed, frameCount: whole.count) }
    return 0
}

if cfuzzer_driver_available() != 0 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    _ = cfuzzer_run_driver(&argc, &argv) { data, size in
        Int32(fuzzTestOneInput(data!, size))
    }
} else {
    print("FuzzWebSocket: not built with -sanitize=fuzzer; build with Tests/Fuzz/run-fuzz.sh FuzzWebSocket 30")
}
