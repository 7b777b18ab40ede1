/// One chat request: the model, the conversation and Spark's optional parameters.
///
/// ```swift
/// let request = ChatRequest(model: "generalv3.5", prompt: "用一句话介绍合肥")
/// ```
///
/// The client checks the request against its model table before connecting (see
/// ``SparkClient/Configuration/models``); an invalid request fails with
/// ``SparkClientError/unknownModel(name:available:)`` or
/// ``SparkClientError/invalidParameter(name:reason:)`` and nothing is sent.
public struct ChatRequest: Sendable, Equatable {
    /// The model: a Spark domain (`lite`, `generalv3`, `pro-128k`, `generalv3.5`, `max-32k`,
    /// `4.0Ultra`, `x1`), a model name of a custom table, or an alias (`Spark-Max`), matched as
    /// ``SparkModelTable/model(named:)`` does.
    public var model: String
    /// The conversation: an optional `system` message first, then alternating turns, ending with the
    /// `user` question. Contents must not be empty.
    public var messages: [SparkChatMessage]
    /// Sampling temperature, in (0, 1] for general models and (0, 2] for X1; Spark's default when `nil`.
    public var temperature: Double?
    /// Most tokens of the answer, from 1 to the model's limit; Spark's default when `nil`.
    public var maxTokens: Int?
    /// Sample from the `topK` most likely tokens, 1 to 6; Spark's default when `nil`.
    public var topK: Int?
    /// An id for the end user (1 to 32 characters), passed to Spark as `header.uid`.
    public var uid: String?
    /// Functions the model may ask to call (models with function calling: `generalv3.5`, `4.0Ultra`).
    public var functions: [SparkFunction]

    /// Creates a request from a conversation.
    ///
    /// - Parameters:
    ///   - model: The model name, domain or alias.
    ///   - messages: The conversation, ending with the user's question.
    ///   - temperature: Sampling temperature, or `nil` for Spark's default.
    ///   - maxTokens: Answer length limit in tokens, or `nil` for Spark's default.
    ///   - topK: Top-k sampling (1...6), or `nil` for Spark's default.
    ///   - uid: The end user's id, or `nil`.
    ///   - functions: Functions the model may call.
    public init(model: String = "generalv3.5", messages: [SparkChatMessage], temperature: Double? = nil,
                maxTokens: Int? = nil, topK: Int? = nil, uid: String? = nil, functions: [SparkFunction] = []) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topK = topK
        self.uid = uid
        self.functions = functions
    }

    /// Creates a request with one user message.
    ///
    /// - Parameters:
    ///   - model: The model name, domain or alias.
    ///   - prompt: The question.
    ///   - temperature: Sampling temperature, or `nil` for Spark's default.
    ///   - maxTokens: Answer length limit in tokens, or `nil` for Spark's default.
    ///   - topK: Top-k sampling (1...6), or `nil` for Spark's default.
    ///   - uid: The end user's id, or `nil`.
    ///   - functions: Functions the model may call.
    public init(model: String = "generalv3.5", prompt: String, temperature: Double? = nil, maxTokens: Int? = nil,
                topK: Int? = nil, uid: String? = nil, functions: [SparkFunction] = []) {
        self.init(model: model, messages: [SparkChatMessage(role: .user, content: prompt)], temperature: temperature,
                  maxTokens: maxTokens, topK: topK, uid: uid, functions: functions)
    }
}
