import JSON
import SparkCodec

/// One `data:` line of an OpenAI chat-completions stream, as the bench reads it: the `[DONE]`
/// sentinel, a `chat.completion.chunk` (its first choice's `delta.content`, `delta.role` and
/// `finish_reason`), an error object, or something unreadable.
public enum OpenAIChunk: Sendable, Equatable {
    /// `data: [DONE]`.
    case done
    /// A `chat.completion.chunk`. `content` is `nil` when the delta has none (role-only, finish or
    /// usage chunks); `choices` is the number of choices (0 for the `include_usage` chunk).
    case chunk(content: String?, role: String?, finishReason: String?, choices: Int)
    /// `{"error":{…}}` (a failure after the stream started); the message, or the raw text.
    case error(String)
    /// Not JSON, or JSON that is neither a chunk nor an error; the first bytes.
    case unreadable(String)

    /// Reads one event's data bytes.
    public static func parse(_ data: [UInt8]) -> OpenAIChunk {
        if data.elementsEqual("[DONE]".utf8) { return .done }
        guard let value = try? JSONScanner.parse(data), value.isObject else { return .unreadable(prefix(data)) }
        if let error = value["error"], !error.isNull {
            return .error(error["message"]?.stringValue ?? prefix(data))
        }
        guard let choices = value["choices"]?.arrayValue else { return .unreadable(prefix(data)) }
        guard let first = choices.first else {
            return .chunk(content: nil, role: nil, finishReason: nil, choices: 0)
        }
        let delta = first["delta"]
        return .chunk(content: delta?["content"]?.stringValue, role: delta?["role"]?.stringValue,
                      finishReason: first["finish_reason"]?.stringValue, choices: choices.count)
    }

    private static func prefix(_ data: [UInt8]) -> String {
        String(decoding: data.prefix(80), as: UTF8.self)
    }
}
