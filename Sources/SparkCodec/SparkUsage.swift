/// `payload.usage.text` of the last frame: token counts for the whole exchange.
public struct SparkUsage: Sendable, Equatable, Codable {
    /// Tokens of the whole history sent (`prompt_tokens`).
    public var promptTokens: Int
    /// Tokens of the answer (`completion_tokens`).
    public var completionTokens: Int
    /// `prompt + completion`, the billed amount (`total_tokens`).
    public var totalTokens: Int
    /// Reserved by Spark (`question_tokens`); informational.
    public var questionTokens: Int

    /// Creates usage counts.
    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int, questionTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
        self.questionTokens = questionTokens
    }
}
