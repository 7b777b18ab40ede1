import JSON

/// Writes Spark HTTP API answers the way Spark sends them (for the simulator; SparkCodec/README.md
/// §10.3): streamed chunks `{"code":0,"message":"Success","sid":S,"id":S,"created":T,"choices":[{"delta":{…},"index":0}]…}`
/// as `data:` events without a space after the colon, tool calls as ONE object (not an array),
/// usage in the last content chunk on `/v1` or in a chunk of its own on `/v2`, `data: [DONE]` at the
/// end; and the `stream:false` body.
public enum SparkHTTPChunkEncoder {
    /// The stream's terminator event, `data: [DONE]` and a blank line.
    public static let doneEvent: [UInt8] = Array("data: [DONE]\n\n".utf8)

    /// One SSE event for a chunk: `data:` + `json` + a blank line (`json` is one line).
    public static func event(_ json: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(json.count + 7)
        bytes.append(contentsOf: "data:".utf8)
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: [0x0A, 0x0A])
        return bytes
    }

    /// A content chunk: `delta` `{"role":"assistant","content":…[,"reasoning_content":…]}`, with
    /// `usage` when given (the last content chunk on `/v1`).
    public static func contentChunk(sid: String, created: Int, content: String, reasoning: String? = nil,
                                    usage: SparkUsage? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 192 + content.utf8.count + (reasoning?.utf8.count ?? 0))
        beginChunk(&writer, sid: sid, created: created)
        writer.key("content")
        writer.string(content)
        if let reasoning {
            writer.key("reasoning_content")
            writer.string(reasoning)
        }
        endChunk(&writer, usage: usage)
        return writer.bytes
    }

    /// A tool-call chunk: empty content and `tool_calls` as ONE object
    /// `{"type":"function","function":{"arguments":…,"name":…},"id":…}` (Spark's shape), with `usage` when given.
    public static func toolCallChunk(sid: String, created: Int, call: SparkFunctionCall, usage: SparkUsage? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + call.arguments.utf8.count)
        beginChunk(&writer, sid: sid, created: created)
        writer.key("content")
        writer.string("")
        writer.key("tool_calls")
        writeToolCall(call, to: &writer)
        endChunk(&writer, usage: usage)
        return writer.bytes
    }

    /// A usage-only chunk (`/v2`'s end): empty delta content and `usage`.
    public static func usageChunk(sid: String, created: Int, usage: SparkUsage) -> [UInt8] {
        contentChunk(sid: sid, created: created, content: "", usage: usage)
    }

    /// An error chunk or error body: `{"code":N,"message":M,"sid":S}` (also the non-streamed error answer).
    public static func errorChunk(code: Int, message: String, sid: String) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + message.utf8.count + sid.utf8.count)
        writer.beginObject()
        writer.key("code")
        writer.int(code)
        writer.key("message")
        writer.string(message)
        writer.key("sid")
        writer.string(sid)
        writer.endObject()
        return writer.bytes
    }

    /// The `stream:false` body: `{"code":0,"message":"Success","sid","id","created","choices":[{"message":{"role","content"[,"reasoning_content"][,"tool_calls":[…]]},"index":0}],"usage":{…}}`.
    public static func completionBody(sid: String, created: Int, content: String, reasoning: String? = nil,
                                      toolCalls: [SparkFunctionCall] = [], usage: SparkUsage) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + content.utf8.count + (reasoning?.utf8.count ?? 0))
        writeEnvelope(&writer, sid: sid, created: created)
        writer.key("choices")
        writer.beginArray()
        writer.beginObject()
        writer.key("message")
        writer.beginObject()
        writer.key("role")
        writer.string("assistant")
        writer.key("content")
        writer.string(content)
        if let reasoning {
            writer.key("reasoning_content")
            writer.string(reasoning)
        }
        if !toolCalls.isEmpty {
            writer.key("tool_calls")
            writer.beginArray()
            for call in toolCalls { writeToolCall(call, to: &writer) }
            writer.endArray()
        }
        writer.endObject()
        writer.key("index")
        writer.int(0)
        writer.endObject()
        writer.endArray()
        writeUsage(usage, to: &writer)
        writer.endObject()
        return writer.bytes
    }

    /// The HTTP 401 body for a refused `Authorization` (the shape iFlytek documents for `invalid user`).
    public static let invalidUserBody: [UInt8] = Array(#"{"error":{"message":"invalid user","type":"api_error","param":null,"code":null}}"#.utf8)

    // MARK: - Pieces

    /// `{"code":0,"message":"Success","sid":S,"id":S,"created":T,"choices":[{"delta":{"role":"assistant",`
    private static func beginChunk(_ writer: inout JSONWriter, sid: String, created: Int) {
        writeEnvelope(&writer, sid: sid, created: created)
        writer.key("choices")
        writer.beginArray()
        writer.beginObject()
        writer.key("delta")
        writer.beginObject()
        writer.key("role")
        writer.string("assistant")
    }

    /// Closes `delta`, adds `"index":0`, closes the choice and `choices`, adds `usage`, closes the chunk.
    private static func endChunk(_ writer: inout JSONWriter, usage: SparkUsage?) {
        writer.endObject()
        writer.key("index")
        writer.int(0)
        writer.endObject()
        writer.endArray()
        if let usage { writeUsage(usage, to: &writer) }
        writer.endObject()
    }

    private static func writeEnvelope(_ writer: inout JSONWriter, sid: String, created: Int) {
        writer.beginObject()
        writer.key("code")
        writer.int(0)
        writer.key("message")
        writer.string("Success")
        writer.key("sid")
        writer.string(sid)
        writer.key("id")
        writer.string(sid)
        writer.key("created")
        writer.int(created)
    }

    private static func writeToolCall(_ call: SparkFunctionCall, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("type")
        writer.string("function")
        writer.key("function")
        writer.beginObject()
        writer.key("arguments")
        writer.string(call.arguments)
        writer.key("name")
        writer.string(call.name)
        writer.endObject()
        if let id = call.id {
            writer.key("id")
            writer.string(id)
        }
        writer.endObject()
    }

    private static func writeUsage(_ usage: SparkUsage, to writer: inout JSONWriter) {
        writer.key("usage")
        writer.beginObject()
        writer.key("prompt_tokens")
        writer.int(usage.promptTokens)
        writer.key("completion_tokens")
        writer.int(usage.completionTokens)
        writer.key("total_tokens")
        writer.int(usage.totalTokens)
        writer.endObject()
    }
}
