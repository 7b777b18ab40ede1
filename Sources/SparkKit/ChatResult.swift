/// A whole Spark answer, as returned by ``SparkClient/complete(_:)``.
public struct ChatResult: Sendable, Equatable {
    /// The answer text.
    public var text: String
    /// The model's reasoning (X1); empty for models that do not reason.
    public var reasoning: String
    /// The function the model asked to call, when it chose one of ``ChatRequest/functions``.
    public var functionCall: SparkFunctionCall?
    /// The raw search-source frames (``SparkEvent/searchSources(raw:)``), in order.
    public var searchSources: [String]
    /// Token counts for the exchange, when Spark sent them.
    public var usage: SparkUsage?
    /// Spark's session id for this answer.
    public var sid: String?

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - text: The answer text.
    ///   - reasoning: The reasoning text (empty when none).
    ///   - functionCall: The function call, if any.
    ///   - searchSources: The raw search-source frames.
    ///   - usage: Token counts.
    ///   - sid: Spark's session id.
    public init(text: String = "", reasoning: String = "", functionCall: SparkFunctionCall? = nil,
                searchSources: [String] = [], usage: SparkUsage? = nil, sid: String? = nil) {
        self.text = text
        self.reasoning = reasoning
        self.functionCall = functionCall
        self.searchSources = searchSources
        self.usage = usage
        self.sid = sid
    }

    /// Adds one event of the stream to the result.
    mutating func append(_ event: SparkEvent) {
        switch event {
        case .textDelta(let delta): text += delta
        case .reasoningDelta(let delta): reasoning += delta
        case .functionCall(let name, let arguments): functionCall = SparkFunctionCall(name: name, arguments: arguments)
        case .searchSources(let raw): searchSources.append(raw)
        case .done(let sid, let usage):
            self.sid = sid
            self.usage = usage
        }
    }
}
