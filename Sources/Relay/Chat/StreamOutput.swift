import HTTPCodec

/// What an output makes of one event.
public enum StreamOutputAction: Sendable {
    /// Bytes for the streamed body (the head is sent first if it was deferred).
    case write([UInt8])
    /// A complete response instead of a stream (only before anything was sent): a collected
    /// non-streaming answer, or an error status for a failure before the first byte.
    case respond(HTTPResponse)
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
    /// A keep-alive for silent periods, or `nil`.
    func heartbeat() -> [UInt8]?
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
        let id = "\(streamID):\(event.sequence)"
        switch event.kind {
        case .data: return .write(SSEEncoder.encodeData(json: event.json, id: id, event: nil))
        case .done: return .write(SSEEncoder.encodeData(json: event.json, id: id, event: "done"))
        case .error: return .write(SSEEncoder.encodeData(json: event.json, id: id, event: "stream-error"))
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
