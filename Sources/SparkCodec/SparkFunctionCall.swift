/// `text[0].function_call`: the function the model chose and its arguments.
public struct SparkFunctionCall: Sendable, Equatable {
    /// The function name.
    public var name: String
    /// The arguments as a JSON text (Spark sends a string holding JSON).
    public var arguments: String

    /// Creates a function call.
    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}
