/// A function the model chose and its arguments: `text[0].function_call` over WebSocket, one item of
/// `delta.tool_calls` over HTTP.
public struct SparkFunctionCall: Sendable, Equatable, Codable {
    /// The tool call's id (`tool_calls[].id` over HTTP); `nil` over WebSocket, which has none.
    public var id: String?
    /// The function name.
    public var name: String
    /// The arguments as a JSON text (Spark sends a string holding JSON).
    public var arguments: String

    /// Creates a function call.
    public init(name: String, arguments: String, id: String? = nil) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
