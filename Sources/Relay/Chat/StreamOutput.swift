#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import HTTPCodec

/// What an output makes of one event.
public enum StreamOutputAction: Sendable {
    /// Bytes for the streamed body (the head is sent first if it was deferred).
    case write([UInt8])
    /// A complete response instead of a stream (only before anything was sent): a collected
    /// non-streaming answer, or an error status for a failure before the first byte.
    case respond(HTTPResponse)
    /// Bytes for the streamed body already in HTTP/1.1 chunked framing (only when asked for).
    case writeFramed(FramedChunk)
    /// Nothing to write for this event.
    case none
}

/// How a reader's response is written: SSE, NDJSON, plain text, or OpenAI's formats. One instance
/// per response (it may keep state, such as OpenAI's "first chunk carries the role"); it is only
/// used on its reader's event loop, which is why stateful outputs may be `@unchecked Sendable`.
public protocol StreamOutput: AnyObject, Sendable {
    /// `Content-Type` of the streamed body.
    var contentType: String { get }
    /// `true` to send the head before the upstream answers; `false` to wait for the first event
    /// (so that an early failure can still be an HTTP error status).
    var sendsHeadImmediately: Bool { get }
    /// Bytes right after the head (SSE's `retry:`).
    func preamble() -> [UInt8]
    /// The action for one event, in order.
    func encode(_ event: StreamEvent, streamID: String) -> StreamOutputAction
    /// `encode`, where the body is sent with chunked framing: an output may then answer
    /// `.writeFramed` (the framing built into the same buffer) instead of `.write`.
    func encode(_ event: StreamEvent, streamID: String, chunked: Bool) -> StreamOutputAction
    /// A keep-alive for silent periods, or `nil`.
    func heartbeat() -> [UInt8]?
}

extension StreamOutput {
    public func encode(_ event: StreamEvent, streamID: String, chunked: Bool) -> StreamOutputAction {
        encode(event, streamID: streamID)
    }
}

/// `text/event-stream`: `id: {stream}:{n}` + `data:` payload, `event: done` / `event: stream-error`.
final class EventStreamOutput: StreamOutput {
    private let retryMilliseconds: Int

    init(retryMilliseconds: Int) {
        self.retryMilliseconds = retryMilliseconds
    }

    var contentType: String { StreamFormat.eventStream.contentType }
    var sendsHeadImmediately: Bool { true }

    func preamble() -> [UInt8] {
        SSEEncoder.retry(milliseconds: retryMilliseconds)
    }

    func encode(_ event: StreamEvent, streamID: String) -> StreamOutputAction {
        encode(event, streamID: streamID, chunked: false)
    }

    func encode(_ event: StreamEvent, streamID: String, chunked: Bool) -> StreamOutputAction {
        let name: StaticString?
        switch event.kind {
        case .data: name = nil
        case .done: name = "done"
        case .error: name = "stream-error"
        }
        if let framed = Self.encodeOneLine(event.json, streamID: streamID, sequence: event.sequence, event: name, chunked: chunked) {
            return chunked ? .writeFramed(framed) : .write(framed.bytes)
        }
        let id = "\(streamID):\(event.sequence)"
        return .write(SSEEncoder.encodeData(json: event.json, id: id, event: name.map { "\($0)" }))
    }

    /// Exactly `SSEEncoder.encodeData(json:id:"{streamID}:{sequence}",event:)` for the usual case — JSON
    /// without CR/LF, a stream id without CR/LF/NUL, a sequence ≥ 0 — built in one exactly sized buffer
    /// without an id `String`; `nil` otherwise (the caller then uses `SSEEncoder`).
    static func encodeOneLine(_ json: [UInt8], streamID: String, sequence: Int, event: StaticString?) -> [UInt8]? {
        encodeOneLine(json, streamID: streamID, sequence: sequence, event: event, chunked: false)?.bytes
    }

    /// `encodeOneLine`, with `chunked` inside an HTTP/1.1 chunk (size line before, CRLF after) in the
    /// same buffer; `body` is where the SSE event is.
    static func encodeOneLine(_ json: [UInt8], streamID: String, sequence: Int, event: StaticString?,
                              chunked: Bool) -> FramedChunk? {
        guard sequence >= 0 else { return nil }
        var streamID = streamID
        return streamID.withUTF8 { id -> FramedChunk? in
            if let base = id.baseAddress, id.count > 0,
               memchr(base, 0x0A, id.count) != nil || memchr(base, 0x0D, id.count) != nil || memchr(base, 0, id.count) != nil {
                return nil
            }
            return json.withUnsafeBufferPointer { data -> FramedChunk? in
                if let base = data.baseAddress, data.count > 0,
                   memchr(base, 0x0A, data.count) != nil || memchr(base, 0x0D, data.count) != nil {
                    return nil
                }
                var digits = 1
                var rest = sequence / 10
                while rest > 0 { digits += 1; rest /= 10 }
                // "event: " + e + "\n" + "id: " + i + ":" + n + "\n" + "data: " + json + "\n\n"
                let eventCount = event.map { $0.utf8CodeUnitCount + 8 } ?? 0
                let body = eventCount + 4 + id.count + 1 + digits + 1 + 6 + data.count + 2
                let header = chunked ? HTTPResponseEncoder.chunkHeaderCount(for: body) : 0
                let total = header + body + (chunked ? 2 : 0)
                let bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                    if chunked { HTTPResponseEncoder.writeChunkHeader(for: body, at: buffer.baseAddress!) }
                    var at = header
                    func put(_ start: UnsafePointer<UInt8>?, _ count: Int) {
                        guard let start, count > 0 else { return }
                        (buffer.baseAddress! + at).initialize(from: start, count: count)
                        at += count
                    }
                    func put(_ literal: StaticString) { put(literal.utf8Start, literal.utf8CodeUnitCount) }
                    if let event { put("event: "); put(event); put("\n") }
                    put("id: ")
                    put(id.baseAddress, id.count)
                    put(":")
                    var value = sequence
                    var position = at + digits
                    at = position
                    repeat {
                        position -= 1
                        buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                        value /= 10
                    } while value > 0
                    put("\ndata: ")
                    put(data.baseAddress, data.count)
                    put("\n\n")
                    if chunked { put("\r\n") }
                    initialized = at
                }
                return FramedChunk(bytes: bytes, body: header..<(header + body))
            }
        }
    }

    func heartbeat() -> [UInt8]? {
        SSEEncoder.comment("ping")
    }
}

/// `application/x-ndjson`: `{"id","data"}`, `{"event":"done","id","data"}`, `{"event":"stream-error","id","data"}`.
final class NDJSONOutput: StreamOutput {
    var contentType: String { StreamFormat.ndjson.contentType }
    var sendsHeadImmediately: Bool { true }
    func preamble() -> [UInt8] { [] }
    func heartbeat() -> [UInt8]? { nil }

    func encode(_ event: StreamEvent, streamID: String) -> StreamOutputAction {
        var line: [UInt8] = []
        line.reserveCapacity(event.json.count + 80)
        switch event.kind {
        case .data: line += Array(#"{"id":""#.utf8)
        case .done: line += Array(#"{"event":"done","id":""#.utf8)
        case .error: line += Array(#"{"event":"stream-error","id":""#.utf8)
        }
        line += Array("\(streamID):\(event.sequence)".utf8)
        line += Array(#"","data":"#.utf8)
        line += event.json
        line += Array("}\n".utf8)
        return .write(line)
    }
}

/// `text/plain`: the answer text only; a failure appends `[stream-error] message`.
final class PlainTextOutput: StreamOutput {
    var contentType: String { StreamFormat.plainText.contentType }
    var sendsHeadImmediately: Bool { true }
    func preamble() -> [UInt8] { [] }
    func heartbeat() -> [UInt8]? { nil }

    func encode(_ event: StreamEvent, streamID: String) -> StreamOutputAction {
        switch event.kind {
        case .data: return event.text.isEmpty ? .none : .write(Array(event.text.utf8))
        case .done: return .none
        case .error: return .write(Array("\n[stream-error] \(event.text)\n".utf8))
        }
    }
}

extension StreamFormat {
    /// A fresh output for this format.
    func makeOutput(retryMilliseconds: Int) -> any StreamOutput {
        switch self {
        case .eventStream: return EventStreamOutput(retryMilliseconds: retryMilliseconds)
        case .ndjson: return NDJSONOutput()
        case .plainText: return PlainTextOutput()
        }
    }
}
