import JSON

/// The body of `POST /v1/chat/completions` (X1: `/v2/chat/completions`), Spark's OpenAI-style HTTP
/// API (SparkCodec/README.md §10.2). The relay encodes it; the simulator decodes and validates it.
public struct SparkHTTPRequest: Sendable, Equatable {
    /// `model`: the Spark domain (`lite`, `generalv3`, `pro-128k`, `generalv3.5`, `max-32k`, `4.0Ultra`, `x1`).
    public var model: String
    /// `messages`: roles `system`, `user`, `assistant` (with `tool_calls`), `tool` (with `tool_call_id`).
    public var messages: [SparkChatMessage]
    /// `stream`: SSE answer when `true`, one JSON body when `false` (Spark's default).
    public var stream: Bool
    /// `temperature`; omitted when `nil`.
    public var temperature: Double?
    /// `max_tokens`; omitted when `nil`.
    public var maxTokens: Int?
    /// `top_k`; omitted when `nil`.
    public var topK: Int?
    /// `user`: the end-user id; omitted when `nil`.
    public var user: String?
    /// Functions offered to the model, written as `{"type":"function","function":{…}}` items of
    /// `tools` when non-empty and `toolsJSON` is `nil`.
    public var functions: [SparkFunction]
    /// The whole `tools` array as compact JSON, forwarded verbatim (takes precedence over `functions`).
    public var toolsJSON: [UInt8]?
    /// `tool_choice` as compact JSON, forwarded verbatim.
    public var toolChoiceJSON: [UInt8]?
    /// `response_format` as compact JSON, forwarded verbatim.
    public var responseFormatJSON: [UInt8]?
    /// `thinking` (X1's deep-thinking switch) as compact JSON, forwarded verbatim.
    public var thinkingJSON: [UInt8]?

    /// Creates a request. The `…JSON` members must each hold one valid, compact JSON value.
    public init(model: String, messages: [SparkChatMessage], stream: Bool = true, temperature: Double? = nil,
                maxTokens: Int? = nil, topK: Int? = nil, user: String? = nil, functions: [SparkFunction] = [],
                toolsJSON: [UInt8]? = nil, toolChoiceJSON: [UInt8]? = nil, responseFormatJSON: [UInt8]? = nil,
                thinkingJSON: [UInt8]? = nil) {
        self.model = model
        self.messages = messages
        self.stream = stream
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topK = topK
        self.user = user
        self.functions = functions
        self.toolsJSON = toolsJSON
        self.toolChoiceJSON = toolChoiceJSON
        self.responseFormatJSON = responseFormatJSON
        self.thinkingJSON = thinkingJSON
    }

    /// The body on one line, members in this order: `model`, `messages`, `stream`, `temperature`,
    /// `max_tokens`, `top_k`, `user`, `tools`, `tool_choice`, `response_format`, `thinking`; `nil`
    /// members omitted. Deterministic: the same request always gives the same bytes.
    public func encodeJSON() -> [UInt8] {
        var capacity = 160 + (toolsJSON?.count ?? 0) + (toolChoiceJSON?.count ?? 0) + (responseFormatJSON?.count ?? 0)
            + (thinkingJSON?.count ?? 0)
        for message in messages { capacity += message.content.utf8.count + 40 }
        for function in functions { capacity += function.parametersJSON.count + function.description.utf8.count + 64 }
        var writer = JSONWriter(capacity: capacity)
        writer.beginObject()
        writer.key("model")
        writer.string(model)
        writer.key("messages")
        writer.beginArray()
        for message in messages {
            Self.write(message, to: &writer)
        }
        writer.endArray()
        writer.key("stream")
        writer.bool(stream)
        if let temperature {
            writer.key("temperature")
            writer.double(temperature)
        }
        if let maxTokens {
            writer.key("max_tokens")
            writer.int(maxTokens)
        }
        if let topK {
            writer.key("top_k")
            writer.int(topK)
        }
        if let user {
            writer.key("user")
            writer.string(user)
        }
        if let toolsJSON {
            writer.key("tools")
            writer.raw(toolsJSON)
        } else if !functions.isEmpty {
            writer.key("tools")
            writer.beginArray()
            for function in functions {
                writer.beginObject()
                writer.key("type")
                writer.string("function")
                writer.key("function")
                writer.beginObject()
                writer.key("name")
                writer.string(function.name)
                writer.key("description")
                writer.string(function.description)
                writer.key("parameters")
                writer.raw(function.parametersJSON.isEmpty ? Array("{}".utf8) : function.parametersJSON)
                writer.endObject()
                writer.endObject()
            }
            writer.endArray()
        }
        if let toolChoiceJSON {
            writer.key("tool_choice")
            writer.raw(toolChoiceJSON)
        }
        if let responseFormatJSON {
            writer.key("response_format")
            writer.raw(responseFormatJSON)
        }
        if let thinkingJSON {
            writer.key("thinking")
            writer.raw(thinkingJSON)
        }
        writer.endObject()
        return writer.bytes
    }

    /// `{"role","content"[,"tool_calls":[{"id","type":"function","function":{"name","arguments"}}]][,"tool_call_id"]}`.
    private static func write(_ message: SparkChatMessage, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("role")
        writer.string(message.role.rawValue)
        writer.key("content")
        writer.string(message.content)
        if !message.toolCalls.isEmpty {
            writer.key("tool_calls")
            writer.beginArray()
            for call in message.toolCalls {
                writeToolCall(call, to: &writer)
            }
            writer.endArray()
        }
        if let toolCallID = message.toolCallID {
            writer.key("tool_call_id")
            writer.string(toolCallID)
        }
        writer.endObject()
    }

    /// `{"id","type":"function","function":{"name","arguments"}}` (`id` only when known).
    static func writeToolCall(_ call: SparkFunctionCall, to writer: inout JSONWriter) {
        writer.beginObject()
        if let id = call.id {
            writer.key("id")
            writer.string(id)
        }
        writer.key("type")
        writer.string("function")
        writer.key("function")
        writer.beginObject()
        writer.key("name")
        writer.string(call.name)
        writer.key("arguments")
        writer.string(call.arguments)
        writer.endObject()
        writer.endObject()
    }
}
