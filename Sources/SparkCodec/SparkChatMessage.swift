/// One item of `payload.message.text`: a role and its text.
public struct SparkChatMessage: Sendable, Equatable, Codable {
    /// The speaker. An open set: Spark documents `system`, `user`, `assistant`.
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

        /// The roles Spark documents for chat.
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

    /// Creates a message.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}
