/// One piece of a Spark answer, in the order Spark sent it.
///
/// A ``SparkStream`` yields text deltas (and, for reasoning models such as X1, reasoning deltas
/// first), a function call when the model chose one of the request's functions, search sources when
/// Spark's web search plugin answered, and exactly one ``done(sid:usage:)`` as the last event of a
/// successful answer. Empty deltas are not reported.
public enum SparkEvent: Sendable, Equatable {
    /// A piece of the answer text; concatenated in order, the pieces are the whole answer.
    case textDelta(String)
    /// A piece of the model's reasoning (X1's `reasoning_content`), sent before the answer text.
    case reasoningDelta(String)
    /// The model asks the caller to run a function of ``ChatRequest/functions``.
    ///
    /// - Parameters:
    ///   - name: The function's name.
    ///   - arguments: The arguments as JSON text, exactly as Spark sent them.
    case functionCall(name: String, arguments: String)
    /// A search-source frame of Spark's web search plugin.
    ///
    /// - Parameter raw: The frame's `payload.plugins` object as compact JSON text.
    case searchSources(raw: String)
    /// The answer is complete; always the last event of a successful stream.
    ///
    /// - Parameters:
    ///   - sid: Spark's session id for this answer (quote it to iFlytek support).
    ///   - usage: Token counts for the exchange, when Spark sent them.
    case done(sid: String?, usage: SparkUsage?)
}
