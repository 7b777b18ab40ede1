/// One message of a conversation: `payload.message.text[i]` over WebSocket, `messages[i]` over HTTP.
/// Over HTTP an assistant message may carry the tool calls it made and a `tool` message the id of
/// the call it answers; the WebSocket request has neither and leaves them out.
public struct SparkChatMessage: Sendable, Equatable, Codable {
    /// The speaker. An open set: Spark documents `system`, `user`, `assistant` (and `tool` over HTTP).
    public struct Role: RawRepresentable, Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
        /// The wire value.
        public var rawValue: String

        /// Wraps a wire value.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// Instructions; must be the first message (SparkCodec/README.md §4.4).
        public static let system = Role(rawValue: "system")
        /// The person asking.
        public static let user = Role(rawValue: "user")
        /// Earlier model answers.
        public static let assistant = Role(rawValue: "assistant")

        /// A tool's result (HTTP API only), answering the assistant's tool call `toolCallID`.
        public static let tool = Role(rawValue: "tool")

        /// The roles Spark documents for WebSocket chat (`tool` is HTTP-only: `SparkHTTPRequest`).
        public static let documented: Set<Role> = [.system, .user, .assistant]

        /// The wire value.
        public var description: String { rawValue }

        /// Decodes from a bare JSON string.
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        /// Encodes as a bare JSON string.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    /// The speaker.
    public var role: Role
    /// The text.
    public var content: String
    /// Tool calls an assistant message made (HTTP `tool_calls`); empty otherwise.
    public var toolCalls: [SparkFunctionCall]
    /// The tool call a `tool` message answers (HTTP `tool_call_id`).
    public var toolCallID: String?

    /// Creates a message.
    public init(role: Role, content: String, toolCalls: [SparkFunctionCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    private enum CodingKeys: String, CodingKey {
        case role, content, toolCalls, toolCallID
    }

    /// Decodes `role` and `content`; `toolCalls` and `toolCallID` may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(Role.self, forKey: .role)
        content = try container.decode(String.self, forKey: .content)
        toolCalls = try container.decodeIfPresent([SparkFunctionCall].self, forKey: .toolCalls) ?? []
        toolCallID = try container.decodeIfPresent(String.self, forKey: .toolCallID)
    }

    /// Encodes `role` and `content`, and `toolCalls`/`toolCallID` only when set (so plain messages
    /// encode as before).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        if !toolCalls.isEmpty { try container.encode(toolCalls, forKey: .toolCalls) }
        try container.encodeIfPresent(toolCallID, forKey: .toolCallID)
    }
}
