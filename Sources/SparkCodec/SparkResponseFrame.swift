/// One decoded response frame (SparkCodec/README.md §5) with defaults for absent parts, plus the raw
/// `payload` object on one line for forwarding as SSE data without re-encoding.
public struct SparkResponseFrame: Sendable, Equatable {
    /// `header.code` (always 0 here: error frames are thrown by the decoder).
    public var code: Int
    /// `header.message`.
    public var message: String
    /// `header.sid`.
    public var sid: String?
    /// `header.status`: 0 first, 1 intermediate, 2 last.
    public var status: Int
    /// `payload.choices.status`, when present.
    public var choicesStatus: Int?
    /// `payload.choices.seq`, when present.
    public var seq: Int?
    /// `text[0].content` (the answer delta), `""` when absent.
    public var content: String
    /// `text[0].reasoning_content` (X1 thinking delta), when present.
    public var reasoningContent: String?
    /// The function calls of the frame: `text[0].function_call` (WebSocket, at most one) or
    /// `delta.tool_calls` (HTTP, one or more); empty when none.
    public var functionCalls: [SparkFunctionCall]
    /// The first of `functionCalls`. Setting it replaces (or adds) the first call; `nil` removes it.
    public var functionCall: SparkFunctionCall? {
        get { functionCalls.first }
        set {
            if let newValue {
                if functionCalls.isEmpty { functionCalls.append(newValue) } else { functionCalls[0] = newValue }
            } else if !functionCalls.isEmpty {
                functionCalls.removeFirst()
            }
        }
    }
    /// `payload.usage.text`, when present (last frame).
    public var usage: SparkUsage?
    /// Whether the frame has `payload.choices` (search-source frames do not).
    public var hasChoices: Bool
    /// Compact bytes of `payload.plugins`, when present.
    public var pluginsJSON: [UInt8]?
    /// The `payload` object exactly as sent minus insignificant whitespace (one line); `nil` without payload.
    public var payloadJSON: [UInt8]?

    /// Creates a frame. `functionCall`, when set, comes first, before `functionCalls`.
    public init(code: Int = 0, message: String = "Success", sid: String?, status: Int, choicesStatus: Int? = nil, seq: Int? = nil,
                content: String = "", reasoningContent: String? = nil, functionCall: SparkFunctionCall? = nil,
                usage: SparkUsage? = nil, hasChoices: Bool = true, pluginsJSON: [UInt8]? = nil, payloadJSON: [UInt8]? = nil,
                functionCalls: [SparkFunctionCall] = []) {
        self.code = code
        self.message = message
        self.sid = sid
        self.status = status
        self.choicesStatus = choicesStatus
        self.seq = seq
        self.content = content
        self.reasoningContent = reasoningContent
        self.functionCalls = functionCall.map { [$0] + functionCalls } ?? functionCalls
        self.usage = usage
        self.hasChoices = hasChoices
        self.pluginsJSON = pluginsJSON
        self.payloadJSON = payloadJSON
    }

    /// End of the answer: `header.status == 2`, or `payload.choices.status == 2` (SparkCodec/README.md §5.6 rule 3).
    public var isLast: Bool { status == 2 || choicesStatus == 2 }

    /// The frame's meaning: a plugin frame when it has no choices but plugins, a function call when one
    /// is present, otherwise content (a frame with neither choices nor plugins is empty content).
    public var event: SparkFrameEvent {
        if !hasChoices, let pluginsJSON { return .plugin(rawJSON: pluginsJSON) }
        if let functionCall { return .functionCall(name: functionCall.name, arguments: functionCall.arguments, isLast: isLast) }
        return .content(text: content, reasoning: reasoningContent, isLast: isLast)
    }
}
