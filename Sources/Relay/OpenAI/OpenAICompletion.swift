import Glibc
import JSON
import SparkCodec

/// Builds OpenAI `chat.completion` and `chat.completion.chunk` JSON for one completion: one id
/// (`chatcmpl-` + Spark's sid), one `created`, the model name the client asked for.
struct OpenAICompletion: Sendable {
    let model: String
    let created: Int
    let maxTokens: Int?
    private(set) var id: String?

    init(model: String, maxTokens: Int?, created: Int = UnixTime.now().wholeSeconds) {
        self.model = model
        self.maxTokens = maxTokens
        self.created = created
    }

    /// Fixes the id from the first sid seen (or the stream id when Spark sent none).
    mutating func adoptID(sid: String?, fallback: String) -> String {
        if let id { return id }
        let made = "chatcmpl-" + (sid ?? fallback)
        id = made
        return made
    }

    /// `stop`, `length` (the answer used all of `max_tokens`), `tool_calls` or `content_filter`.
    func finishReason(toolCalled: Bool, usage: SparkUsage?, contentFiltered: Bool) -> String {
        Self.finishReason(toolCalled: toolCalled, usage: usage, maxTokens: maxTokens, contentFiltered: contentFiltered)
    }

    /// The finish reason of an answer that asked for at most `maxTokens`.
    static func finishReason(toolCalled: Bool, usage: SparkUsage?, maxTokens: Int?, contentFiltered: Bool) -> String {
        if contentFiltered { return "content_filter" }
        if toolCalled { return "tool_calls" }
        if let maxTokens, let usage, usage.completionTokens >= maxTokens { return "length" }
        return "stop"
    }

    static func toolCallID(sid: String?, fallback: String, index: Int) -> String {
        "call_" + (sid ?? fallback) + (index == 0 ? "" : "_\(index)")
    }

    /// One streaming chunk.
    func chunk(id: String, delta: (inout JSONWriter) -> Void, finishReason: String?, usage: SparkUsage? = nil, emptyChoices: Bool = false) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        header(&writer, id: id, object: "chat.completion.chunk")
        writer.key("choices")
        writer.beginArray()
        if !emptyChoices {
            writer.beginObject()
            writer.key("index"); writer.int(0)
            writer.key("delta")
            writer.beginObject()
            delta(&writer)
            writer.endObject()
            writer.key("finish_reason")
            if let finishReason { writer.string(finishReason) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        if let usage {
            writer.key("usage")
            Self.write(usage, &writer)
        }
        writer.endObject()
        return writer.bytes
    }

    /// The whole non-streaming `chat.completion`.
    func completion(id: String, text: String, reasoning: String, toolCalls: [(id: String, call: SparkFunctionCall)],
                    finishReason: String, usage: SparkUsage?) -> [UInt8] {
        var writer = JSONWriter(capacity: text.utf8.count + reasoning.utf8.count + 512)
        writer.beginObject()
        header(&writer, id: id, object: "chat.completion")
        writer.key("choices")
        writer.beginArray()
        writer.beginObject()
        writer.key("index"); writer.int(0)
        writer.key("message")
        writer.beginObject()
        writer.key("role"); writer.string("assistant")
        writer.key("content")
        if text.isEmpty && !toolCalls.isEmpty { writer.null() } else { writer.string(text) }
        if !reasoning.isEmpty { writer.key("reasoning_content"); writer.string(reasoning) }
        if !toolCalls.isEmpty {
            writer.key("tool_calls")
            writer.beginArray()
            for item in toolCalls { Self.writeToolCall(item.id, item.call, index: nil, &writer) }
            writer.endArray()
        }
        writer.endObject()
        writer.key("finish_reason"); writer.string(finishReason)
        writer.endObject()
        writer.endArray()
        writer.key("usage")
        Self.write(usage ?? SparkUsage(promptTokens: 0, completionTokens: 0, totalTokens: 0), &writer)
        writer.endObject()
        return writer.bytes
    }

    private func header(_ writer: inout JSONWriter, id: String, object: String) {
        writer.key("id"); writer.string(id)
        writer.key("object"); writer.string(object)
        writer.key("created"); writer.int(created)
        writer.key("model"); writer.string(model)
    }

    static func write(_ usage: SparkUsage, _ writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("prompt_tokens"); writer.int(usage.promptTokens)
        writer.key("completion_tokens"); writer.int(usage.completionTokens)
        writer.key("total_tokens"); writer.int(usage.totalTokens)
        writer.endObject()
    }

    static func writeToolCall(_ id: String, _ call: SparkFunctionCall, index: Int?, _ writer: inout JSONWriter) {
        writer.beginObject()
        if let index { writer.key("index"); writer.int(index) }
        writer.key("id"); writer.string(id)
        writer.key("type"); writer.string("function")
        writer.key("function")
        writer.beginObject()
        writer.key("name"); writer.string(call.name)
        writer.key("arguments"); writer.string(call.arguments)
        writer.endObject()
        writer.endObject()
    }
}
