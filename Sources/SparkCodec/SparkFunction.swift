import JSON

/// One item of `payload.functions.text`: a callable function offered to the model.
public struct SparkFunction: Sendable, Equatable {
    /// The function name the model answers with in `function_call.name`.
    public var name: String
    /// What the function does, for the model.
    public var description: String
    /// The JSON-schema object for the arguments, as raw JSON bytes written into the request verbatim.
    /// The caller guarantees it is one valid JSON object (`JSONScanner.parse` can check); empty means `{}`.
    public var parametersJSON: [UInt8]

    /// Creates a function description.
    public init(name: String, description: String, parametersJSON: [UInt8]) {
        self.name = name
        self.description = description
        self.parametersJSON = parametersJSON
    }
}
