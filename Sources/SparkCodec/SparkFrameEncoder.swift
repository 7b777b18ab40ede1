import JSON

/// Builds response frames the way Spark sends them (for the simulator), member order and spacing
/// byte-compatible with the shapes in `Tests/SparkCodecTests/Fixtures/frames-*.jsonl` and SparkCodec/README.md §5.
public enum SparkFrameEncoder {
    /// A normal answer frame: `header.status` and `choices.status` are both `status` (0 first, 1 middle,
    /// 2 last); `reasoning` adds `reasoning_content` (X1); `usage` adds `payload.usage.text` (last frame).
    public static func contentFrame(sid: String, status: Int, seq: Int, content: String, reasoning: String? = nil,
                                    usage: SparkUsage? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 192 + content.utf8.count + (reasoning?.utf8.count ?? 0))
        beginSuccess(&writer, sid: sid, status: status)
        writer.key("choices")
        writer.beginObject()
        writer.key("status")
        writer.int(status)
        writer.key("seq")
        writer.int(seq)
        writer.key("text")
        writer.beginArray()
        writer.beginObject()
        writer.key("content")
        writer.string(content)
        if let reasoning {
            writer.key("reasoning_content")
            writer.string(reasoning)
        }
        writer.key("role")
        writer.string("assistant")
        writer.key("index")
        writer.int(0)
        writer.endObject()
        writer.endArray()
        writer.endObject()
        if let usage { writeUsage(usage, to: &writer) }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    /// The single frame of a function-call answer (SparkCodec/README.md §5.2): `status` 2, empty content,
    /// `content_type` `text`, `function_call` with `arguments` (a JSON text, sent as a string) and `name`.
    public static func functionCallFrame(sid: String, seq: Int = 0, name: String, arguments: String,
                                         usage: SparkUsage? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + arguments.utf8.count)
        beginSuccess(&writer, sid: sid, status: 2)
        writer.key("choices")
        writer.beginObject()
        writer.key("status")
        writer.int(2)
        writer.key("seq")
        writer.int(seq)
        writer.key("text")
        writer.beginArray()
        writer.beginObject()
        writer.key("content")
        writer.string("")
        writer.key("role")
        writer.string("assistant")
        writer.key("content_type")
        writer.string("text")
        writer.key("function_call")
        writer.beginObject()
        writer.key("arguments")
        writer.string(arguments)
        writer.key("name")
        writer.string(name)
        writer.endObject()
        writer.key("index")
        writer.int(0)
        writer.endObject()
        writer.endArray()
        writer.endObject()
        if let usage { writeUsage(usage, to: &writer) }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    /// A header-only error frame with `status` 2 (SparkCodec/README.md §5.5).
    public static func errorFrame(code: Int, message: String, sid: String) -> [UInt8] {
        var writer = JSONWriter(capacity: 128 + message.utf8.count)
        writer.beginObject()
        writeHeader(&writer, code: code, message: message, sid: sid, status: 2)
        writer.endObject()
        return writer.bytes
    }

    /// A search-source frame without `choices` (SparkCodec/README.md §5.3); `sourcesJSON` is the raw
    /// `[{index,url,title}]` array, sent as a JSON string in `plugins.text[0].content`.
    public static func pluginFrame(sid: String, sourcesJSON: [UInt8], status: Int = 1) -> [UInt8] {
        var writer = JSONWriter(capacity: 384 + sourcesJSON.count)
        beginSuccess(&writer, sid: sid, status: status)
        writer.key("plugins")
        writer.beginObject()
        writer.key("text")
        writer.beginArray()
        writer.beginObject()
        writer.key("name")
        writer.string("ifly_search")
        writer.key("content")
        writer.string(String(decoding: sourcesJSON, as: UTF8.self))
        writer.key("content_type")
        writer.string("text")
        writer.key("content_meta")
        writer.null()
        writer.key("role")
        writer.string("tool")
        writer.key("status")
        writer.string("finished")
        writer.key("invoked")
        writer.beginObject()
        for (key, value) in [("namespace", "ifly_search"), ("plugin_id", "ifly_search"), ("plugin_ver", "")] {
            writer.key(key)
            writer.string(value)
        }
        writer.key("status_code")
        writer.int(200)
        writer.key("status_msg")
        writer.string("Success")
        writer.key("type")
        writer.string("local")
        writer.endObject()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    /// `{"header":{…code 0…},"payload":{` — the caller writes payload members and closes both objects.
    private static func beginSuccess(_ writer: inout JSONWriter, sid: String, status: Int) {
        writer.beginObject()
        writeHeader(&writer, code: 0, message: "Success", sid: sid, status: status)
        writer.key("payload")
        writer.beginObject()
    }

    private static func writeHeader(_ writer: inout JSONWriter, code: Int, message: String, sid: String, status: Int) {
        writer.key("header")
        writer.beginObject()
        writer.key("code")
        writer.int(code)
        writer.key("message")
        writer.string(message)
        writer.key("sid")
        writer.string(sid)
        writer.key("status")
        writer.int(status)
        writer.endObject()
    }

    private static func writeUsage(_ usage: SparkUsage, to writer: inout JSONWriter) {
        writer.key("usage")
        writer.beginObject()
        writer.key("text")
        writer.beginObject()
        writer.key("question_tokens")
        writer.int(usage.questionTokens)
        writer.key("prompt_tokens")
        writer.int(usage.promptTokens)
        writer.key("completion_tokens")
        writer.int(usage.completionTokens)
        writer.key("total_tokens")
        writer.int(usage.totalTokens)
        writer.endObject()
        writer.endObject()
    }
}
