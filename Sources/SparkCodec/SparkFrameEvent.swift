/// What one successful response frame means for the stream, derived from `SparkResponseFrame.event`.
public enum SparkFrameEvent: Sendable, Equatable {
    /// An answer delta (possibly empty), an X1 reasoning delta, and whether it ends the answer.
    case content(text: String, reasoning: String?, isLast: Bool)
    /// The model chose a function (Spark sends this as the single, last frame).
    case functionCall(name: String, arguments: String, isLast: Bool)
    /// A search-source frame (no `choices`): the compact bytes of `payload.plugins`.
    case plugin(rawJSON: [UInt8])
}
