import HTTPCodec
import JSON

/// Decodes the streamed answer of Spark's HTTP API (SparkCodec/README.md §10.3) into the frames the
/// WebSocket decoder gives, so the relay treats both protocols alike. Sans-I/O: feed it the
/// de-chunked response body, split anywhere.
///
/// The body is `text/event-stream` (WHATWG rules via `SSEEventDecoder`: `data:` with or without a space,
/// CR/LF/CRLF, comments, multi-line data). Each `data` event is one chunk object; `data: [DONE]`
/// ends the stream. Each chunk becomes ONE `SparkResponseFrame`: `status` 0 for the first, 1 after,
/// and 2 for the chunk that carries `usage` (Spark's end: in the last content chunk on `/v1`, in a
/// chunk of its own on `/v2`). `[DONE]` without a usage chunk first yields one empty frame with
/// `status` 2, so consumers always see a last frame. Chunks after the last frame are ignored.
///
/// Each frame's `payloadJSON` is synthesized in the WebSocket `payload` shape (§5.1), so it can be
/// forwarded as today's `data:` event:
/// `{"choices":{"status":S,"seq":N,"text":[{"content":…,"reasoning_content":…,"role":"assistant","index":0,"function_call":{"name","arguments"},"tool_calls":[…]}]},"usage":{"text":{…}}}`
/// (`reasoning_content`, `function_call`, `tool_calls` and `usage` only when present).
///
/// Failures: a chunk with a non-zero `code` throws `.upstream(code:message:sid:)`; a chunk that is
/// not a JSON object, has a member of the wrong type, or an event over `maxEventBytes` throws
/// `.malformedFrame`. After a failure the decoder is finished. When frames were already decoded in
/// the same `append` call, they are returned and the failure is thrown by the next `append` or
/// `finish` call instead, so no delta before an error chunk is lost.
public struct SparkHTTPStreamDecoder: Sendable {
    /// Default bound of one SSE event: 4 MiB, like `SparkFrameDecoder.defaultMaxFrameBytes`.
    public static let defaultMaxEventBytes = SparkFrameDecoder.defaultMaxFrameBytes

    /// The largest event (its `data` bytes) accepted.
    public let maxEventBytes: Int
    /// The first `sid` (or, without one, `id`) seen.
    public private(set) var sid: String?
    /// `true` after `data: [DONE]` or a failure: later bytes are ignored.
    public private(set) var isFinished = false
    /// `true` once a frame with `status` 2 was returned.
    public private(set) var sawLastFrame = false
    /// Frames returned so far.
    public private(set) var frameCount = 0

    private var parser: SSEEventDecoder
    /// `false` sends every chunk through the general path (the tests and the fuzzer compare the two).
    public var usesFastPath = true
    private var scratchEvents: [SSEEventDecoder.Event] = []
    private var pendingError: SparkError?
    private var endedWithLineBreak = false

    /// A decoder for one streamed answer; `maxEventBytes` bounds each event.
    public init(maxEventBytes: Int = defaultMaxEventBytes) {
        self.maxEventBytes = maxEventBytes
        self.parser = SSEEventDecoder(maxEventBytes: maxEventBytes)
    }

    /// Feeds body bytes; returns the frames they complete, in order.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(SparkError) -> [SparkResponseFrame] {
        try append(Array(bytes))
    }

    /// Feeds body bytes as the HTTP client hands them over (no copy before the SSE lines are found).
    public mutating func append(_ bytes: [UInt8]) throws(SparkError) -> [SparkResponseFrame] {
        if let pendingError {
            self.pendingError = nil
            throw pendingError
        }
        guard !isFinished, let lastByte = bytes.last else { return [] }
        endedWithLineBreak = lastByte == 0x0A || lastByte == 0x0D
        // The event list is kept between calls: no allocation per read once it has grown.
        var events = scratchEvents
        scratchEvents = []
        events.removeAll(keepingCapacity: true)
        parser.append(bytes, into: &events)
        defer {
            events.removeAll(keepingCapacity: true)
            scratchEvents = events
        }
        return try process(events)
    }

    /// The end of the body: throws a pending failure, or `.closedBeforeEnd(sid:)` when neither
    /// `[DONE]` nor a last frame came. A trailing event whose blank line is missing (the body ended
    /// on a line break) is read when it completes the answer (`[DONE]`, or the usage chunk), and its
    /// frames are returned; otherwise it is dropped, as an `EventSource` drops an unfinished event.
    @discardableResult
    public mutating func finish() throws(SparkError) -> [SparkResponseFrame] {
        if let pendingError {
            self.pendingError = nil
            throw pendingError
        }
        if !isFinished && !sawLastFrame && endedWithLineBreak {
            endedWithLineBreak = false
            var probe = self
            let frames: [SparkResponseFrame]
            do throws(SparkError) {
                var events: [SSEEventDecoder.Event] = []
                probe.parser.append([0x0A, 0x0A], into: &events)
                frames = try probe.process(events)
            } catch {
                self = probe
                throw error
            }
            if let failure = probe.pendingError {
                isFinished = true
                throw failure
            }
            if probe.isFinished || probe.sawLastFrame {
                self = probe
                isFinished = true
                return frames
            }
        }
        guard isFinished || sawLastFrame else {
            isFinished = true
            throw .closedBeforeEnd(sid: sid)
        }
        isFinished = true
        return []
    }

    // MARK: - Events

    private static let done = Array("[DONE]".utf8)

    private mutating func process(_ events: [SSEEventDecoder.Event]) throws(SparkError) -> [SparkResponseFrame] {
        var frames: [SparkResponseFrame] = []
        do throws(SparkError) {
            for event in events where !isFinished {
                if let frame = try handle(event) { frames.append(frame) }
            }
            if parser.discardedEventCount > 0 && !isFinished && !sawLastFrame {
                throw .malformedFrame("SSE event over \(maxEventBytes) bytes")
            }
        } catch {
            isFinished = true
            guard frames.isEmpty else {
                pendingError = error
                return frames
            }
            throw error
        }
        return frames
    }

    private mutating func handle(_ event: SSEEventDecoder.Event) throws(SparkError) -> SparkResponseFrame? {
        if Self.isDone(event.data) {
            isFinished = true
            return sawLastFrame ? nil : emptyLastFrame()
        }
        if sawLastFrame { return nil }  // Spark's end was seen; only [DONE] matters now.
        return try decodeChunk(event.data)
    }

    /// `[DONE]`, ignoring surrounding ASCII white space.
    private static func isDone(_ data: [UInt8]) -> Bool {
        guard data.count <= 64 else { return false }
        var bytes = data[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { bytes.removeLast() }
        return bytes.elementsEqual(done)
    }

    /// The members a chunk is read for; everything else is validated and skipped.
    static let pick: JSONPick = .members([
        ("code", .all), ("message", .all), ("sid", .all), ("id", .all), ("error", .all),
        ("choices", .elements(.members([
            ("delta", .members([("content", .all), ("reasoning_content", .all), ("tool_calls", .all)])),
        ]))),
        ("usage", .members([("prompt_tokens", .all), ("completion_tokens", .all), ("total_tokens", .all)])),
    ])

    /// The chunk's fields by the general path: the picking JSON parser, every rule checked.
    private mutating func readChunk(_ bytes: [UInt8]) throws(SparkError) -> SparkHTTPChunkRead {
        let root: JSONValue
        do {
            root = try JSONScanner.parse(bytes, picking: Self.pick).value
        } catch {
            throw .malformedFrame("invalid JSON in chunk: \(error)")
        }
        guard root.isObject else { throw .malformedFrame("chunk is not a JSON object") }
        let code = try int(root["code"], "code") ?? 0
        let message = try string(root["message"], "message") ?? ""
        var chunkSID = try string(root["sid"], "sid")
        if chunkSID == nil { chunkSID = try string(root["id"], "id") }
        if sid == nil { sid = chunkSID }
        if code != 0 {
            throw .upstream(code: code, message: message, sid: chunkSID ?? sid)
        }
        if let error = Self.present(root["error"]) {
            throw Self.chunkError(error, sid: chunkSID ?? sid)
        }

        var content = ""
        var contentRange: Range<Int>?
        var reasoning: String?
        var reasoningRange: Range<Int>?
        var calls: [SparkFunctionCall] = []
        if let choices = Self.present(root["choices"]) {
            guard let items = choices.arrayValue else { throw .malformedFrame("choices is not an array") }
            // Spark sends one choice; only choices[0] is read (like text[0] over WebSocket).
            if let first = items.first, !first.isNull {
                guard first.isObject else { throw .malformedFrame("choices[0] is not an object") }
                if let delta = Self.present(first["delta"]) {
                    guard delta.isObject else { throw .malformedFrame("choices[0].delta is not an object") }
                    if let member = delta.member("content"), !member.value.isNull {
                        guard let text = member.value.stringValue else { throw .malformedFrame("delta.content is not a string") }
                        content = text
                        contentRange = member.valueRange
                    }
                    if let member = delta.member("reasoning_content"), !member.value.isNull {
                        guard let text = member.value.stringValue else { throw .malformedFrame("delta.reasoning_content is not a string") }
                        reasoning = text
                        reasoningRange = member.valueRange
                    }
                    if let member = delta.member("tool_calls"), !member.value.isNull {
                        calls = try Self.toolCalls(member.value, bytes: bytes)
                    }
                }
            }
        }
        var usage: SparkUsage?
        if let value = Self.present(root["usage"]) {
            guard value.isObject else { throw .malformedFrame("usage is not an object") }
            usage = SparkUsage(promptTokens: try int(value["prompt_tokens"], "usage.prompt_tokens") ?? 0,
                               completionTokens: try int(value["completion_tokens"], "usage.completion_tokens") ?? 0,
                               totalTokens: try int(value["total_tokens"], "usage.total_tokens") ?? 0)
        }

        return SparkHTTPChunkRead(message: message, sid: chunkSID, content: content, contentRange: contentRange,
                                  reasoning: reasoning, reasoningRange: reasoningRange, calls: calls, usage: usage)
    }

    /// One chunk → one frame: the fast path for the common shape, else the general path.
    private mutating func decodeChunk(_ bytes: [UInt8]) throws(SparkError) -> SparkResponseFrame {
        let read: SparkHTTPChunkRead
        if usesFastPath, let fields = SparkHTTPChunkFastPath.decode(bytes, knownSID: sid) {
            if sid == nil { sid = fields.sid }
            read = SparkHTTPChunkRead(message: fields.message ?? "", sid: fields.sid, content: fields.content ?? "",
                                      contentRange: fields.contentRange, reasoning: fields.reasoning,
                                      reasoningRange: fields.reasoningRange, calls: [], usage: fields.usage)
        } else {
            read = try readChunk(bytes)
        }
        let (message, chunkSID, content, contentRange) = (read.message, read.sid, read.content, read.contentRange)
        let (reasoning, reasoningRange, calls, usage) = (read.reasoning, read.reasoningRange, read.calls, read.usage)
        let status = usage != nil ? 2 : (frameCount == 0 ? 0 : 1)
        let seq = frameCount
        // The payload is written from constant pieces and the chunk's own bytes (content and
        // reasoning copied as the JSON strings they are): no key is escaped, no text re-encoded.
        // Sized for what is written (the payload is kept for replay: no slack per event).
        var payload: [UInt8] = []
        payload.reserveCapacity(Self.payloadStart.count + Self.seqKey.count + Self.contentKey.count + Self.roleAndIndex.count
                                + Self.textEnd.count + 24 + (contentRange?.count ?? 2)
                                + (reasoningRange.map { $0.count + Self.reasoningKey.count } ?? 0)
                                + (usage == nil ? 0 : Self.usagePromptKey.count + Self.usageCompletionKey.count
                                    + Self.usageTotalKey.count + Self.usageEnd.count + 60)
                                + (calls.isEmpty ? 0 : 512))
        payload.append(contentsOf: Self.payloadStart)
        Self.appendDecimal(status, to: &payload)
        payload.append(contentsOf: Self.seqKey)
        Self.appendDecimal(seq, to: &payload)
        payload.append(contentsOf: Self.contentKey)
        if let contentRange { payload.append(contentsOf: bytes[contentRange]) } else { payload.append(contentsOf: Self.emptyString) }
        if let reasoningRange {
            payload.append(contentsOf: Self.reasoningKey)
            payload.append(contentsOf: bytes[reasoningRange])
        }
        payload.append(contentsOf: Self.roleAndIndex)
        if let first = calls.first {
            var writer = JSONWriter(capacity: 128)
            writer.beginObject()
            writer.key("function_call")
            writer.beginObject()
            writer.key("name")
            writer.string(first.name)
            writer.key("arguments")
            writer.string(first.arguments)
            writer.endObject()
            writer.key("tool_calls")
            writer.beginArray()
            for call in calls {
                SparkHTTPRequest.writeToolCall(call, to: &writer)
            }
            writer.endArray()
            writer.endObject()
            // The members without the object's braces.
            payload.append(UInt8(ascii: ","))
            payload.append(contentsOf: writer.bytes.dropFirst().dropLast())
        }
        payload.append(contentsOf: Self.textEnd)
        if let usage {
            payload.append(contentsOf: Self.usagePromptKey)
            Self.appendDecimal(usage.promptTokens, to: &payload)
            payload.append(contentsOf: Self.usageCompletionKey)
            Self.appendDecimal(usage.completionTokens, to: &payload)
            payload.append(contentsOf: Self.usageTotalKey)
            Self.appendDecimal(usage.totalTokens, to: &payload)
            payload.append(contentsOf: Self.usageEnd)
        }
        payload.append(UInt8(ascii: "}"))

        frameCount += 1
        if status == 2 { sawLastFrame = true }
        return SparkResponseFrame(code: 0, message: message, sid: chunkSID ?? sid, status: status, choicesStatus: status, seq: seq,
                                  content: content, reasoningContent: reasoning, usage: usage, hasChoices: true,
                                  payloadJSON: payload, functionCalls: calls)
    }

    // The constant pieces of a chunk's payload, in order (what `beginPayload`/`endPayload` write).
    private static let payloadStart = Array(#"{"choices":{"status":"#.utf8)
    private static let seqKey = Array(#","seq":"#.utf8)
    private static let contentKey = Array(#","text":[{"content":"#.utf8)
    private static let emptyString = Array(#""""#.utf8)
    private static let reasoningKey = Array(#","reasoning_content":"#.utf8)
    private static let roleAndIndex = Array(#","role":"assistant","index":0"#.utf8)
    private static let textEnd = Array("}]}".utf8)
    private static let usagePromptKey = Array(#","usage":{"text":{"prompt_tokens":"#.utf8)
    private static let usageCompletionKey = Array(#","completion_tokens":"#.utf8)
    private static let usageTotalKey = Array(#","total_tokens":"#.utf8)
    private static let usageEnd = Array("}}".utf8)

    /// `value` in decimal ASCII.
    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, to: &bytes)
    }

    private static func appendDigits(_ value: UInt, to bytes: inout [UInt8]) {
        if value >= 10 { appendDigits(value / 10, to: &bytes) }
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// The frame for `[DONE]` when no usage chunk came: empty content, `status` 2.
    private mutating func emptyLastFrame() -> SparkResponseFrame {
        var writer = JSONWriter(capacity: 96)
        Self.beginPayload(&writer, status: 2, seq: frameCount)
        writer.key("content")
        writer.string("")
        writer.key("role")
        writer.string("assistant")
        writer.key("index")
        writer.int(0)
        Self.endPayload(&writer, usage: nil)
        let frame = SparkResponseFrame(code: 0, message: "Success", sid: sid, status: 2, choicesStatus: 2, seq: frameCount,
                                       payloadJSON: writer.bytes)
        frameCount += 1
        sawLastFrame = true
        return frame
    }

    /// `{"choices":{"status":S,"seq":N,"text":[{` — the caller writes the text item's members.
    private static func beginPayload(_ writer: inout JSONWriter, status: Int, seq: Int) {
        writer.beginObject()
        writer.key("choices")
        writer.beginObject()
        writer.key("status")
        writer.int(status)
        writer.key("seq")
        writer.int(seq)
        writer.key("text")
        writer.beginArray()
        writer.beginObject()
    }

    /// Closes the text item, `text`, `choices`, adds `usage.text` when present, closes the payload.
    private static func endPayload(_ writer: inout JSONWriter, usage: SparkUsage?) {
        writer.endObject()
        writer.endArray()
        writer.endObject()
        if let usage {
            writer.key("usage")
            writer.beginObject()
            writer.key("text")
            writer.beginObject()
            writer.key("prompt_tokens")
            writer.int(usage.promptTokens)
            writer.key("completion_tokens")
            writer.int(usage.completionTokens)
            writer.key("total_tokens")
            writer.int(usage.totalTokens)
            writer.endObject()
            writer.endObject()
        }
        writer.endObject()
    }

    /// `delta.tool_calls`: an array of calls, or one call as an object (Spark does both).
    private static func toolCalls(_ value: JSONValue, bytes: [UInt8]) throws(SparkError) -> [SparkFunctionCall] {
        let items: [JSONValue]
        if let array = value.arrayValue {
            items = array
        } else if value.isObject {
            items = [value]
        } else {
            throw .malformedFrame("delta.tool_calls is neither an array nor an object")
        }
        var calls: [SparkFunctionCall] = []
        calls.reserveCapacity(items.count)
        for item in items {
            guard item.isObject else { throw .malformedFrame("a tool call is not an object") }
            var id: String?
            if let value = present(item["id"]) {
                guard let text = value.stringValue else { throw .malformedFrame("tool_calls id is not a string") }
                id = text
            }
            var name = ""
            var arguments = ""
            if let function = present(item["function"]) {
                guard function.isObject else { throw .malformedFrame("tool_calls function is not an object") }
                if let value = present(function["name"]) {
                    guard let text = value.stringValue else { throw .malformedFrame("tool_calls function.name is not a string") }
                    name = text
                }
                if let member = function.member("arguments"), !member.value.isNull {
                    if let text = member.value.stringValue {
                        arguments = text
                    } else {
                        // Tolerate an object instead of a JSON string: its compact JSON text.
                        arguments = String(decoding: JSONScanner.compact(bytes[member.valueRange]), as: UTF8.self)
                    }
                }
            }
            calls.append(SparkFunctionCall(name: name, arguments: arguments, id: id))
        }
        return calls
    }

    /// An `{"error":{…}}` chunk: `.upstream` when it carries a numeric code, else `.malformedFrame`.
    private static func chunkError(_ error: JSONValue, sid: String?) -> SparkError {
        let failure = SparkHTTPErrorBody.failure(fromErrorObject: error)
        if let code = failure.code { return .upstream(code: code, message: failure.message, sid: sid) }
        return .malformedFrame("error chunk: \(failure.message)")
    }

    private static func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    private func int(_ value: JSONValue?, _ name: String) throws(SparkError) -> Int? {
        guard let value = Self.present(value) else { return nil }
        guard let number = value.intValue else { throw .malformedFrame("\(name) is not an integer") }
        return number
    }

    private func string(_ value: JSONValue?, _ name: String) throws(SparkError) -> String? {
        guard let value = Self.present(value) else { return nil }
        guard let text = value.stringValue else { throw .malformedFrame("\(name) is not a string") }
        return text
    }
}

/// What one chunk says, by either path.
struct SparkHTTPChunkRead {
    var message: String
    var sid: String?
    var content: String
    var contentRange: Range<Int>?
    var reasoning: String?
    var reasoningRange: Range<Int>?
    var calls: [SparkFunctionCall]
    var usage: SparkUsage?
}
