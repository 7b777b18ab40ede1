import SparkCodec

/// One chat request as the relay's clients asked for it, before it is put on a wire: each
/// `Upstream` sibling turns it into its own request (a WebSocket request frame, an HTTP body).
/// Fields only one protocol carries are checked against the model's protocol when the client's
/// request is parsed (`SparkProtocolFeature`), so a request reaching an upstream is always one it
/// can honour.
public struct UpstreamChatRequest: Sendable, Equatable {
    /// The model (its domain, paths and protocol).
    public var model: SparkModel
    /// The conversation: an optional system message first, ending with the question (HTTP models
    /// also carry assistant tool calls and `tool` results natively).
    public var messages: [SparkChatMessage]
    /// The end-user id (`header.uid` on the WebSocket, `user` on HTTP).
    public var user: String?
    public var temperature: Double?
    public var maxTokens: Int?
    public var topK: Int?
    /// Function definitions (WebSocket `payload.functions`, HTTP function `tools`).
    public var functions: [SparkFunction]
    /// HTTP only: the client's `tools` array as compact JSON (function and `web_search` tools),
    /// forwarded verbatim instead of `functions`.
    public var toolsJSON: [UInt8]?
    /// HTTP only: `tool_choice`, compact JSON.
    public var toolChoiceJSON: [UInt8]?
    /// HTTP only: `response_format`, compact JSON.
    public var responseFormatJSON: [UInt8]?
    /// HTTP only: `thinking` (X1.5's switch), compact JSON.
    public var thinkingJSON: [UInt8]?
    /// Header fields that carry the caller's trace onward (`traceparent`, `tracestate`): on the
    /// HTTP request, or on the WebSocket upgrade request (Spark ignores them; a gateway in
    /// between may not).
    public var propagationHeaders: [String: String] = [:]

    /// Creates a request.
    public init(model: SparkModel, messages: [SparkChatMessage], user: String? = nil, temperature: Double? = nil,
                maxTokens: Int? = nil, topK: Int? = nil, functions: [SparkFunction] = [], toolsJSON: [UInt8]? = nil,
                toolChoiceJSON: [UInt8]? = nil, responseFormatJSON: [UInt8]? = nil, thinkingJSON: [UInt8]? = nil) {
        self.model = model
        self.messages = messages
        self.user = user
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topK = topK
        self.functions = functions
        self.toolsJSON = toolsJSON
        self.toolChoiceJSON = toolChoiceJSON
        self.responseFormatJSON = responseFormatJSON
        self.thinkingJSON = thinkingJSON
    }

    /// The WebSocket request frame, signed into `appID`'s conversation (`uid` falls back to `defaultUID`).
    public func webSocketRequest(appID: String, defaultUID: String?) -> SparkChatRequest {
        SparkChatRequest(appID: appID, uid: user ?? defaultUID, domain: model.domain, temperature: temperature,
                         maxTokens: maxTokens, topK: topK, messages: messages, functions: functions)
    }

    /// The HTTP API's request body (always streamed).
    public func httpRequest() -> SparkHTTPRequest {
        var request = SparkHTTPRequest(model: model.domain, messages: messages, stream: true)
        request.temperature = temperature
        request.maxTokens = maxTokens
        request.topK = topK
        request.user = user
        request.functions = functions
        request.toolsJSON = toolsJSON
        request.toolChoiceJSON = toolChoiceJSON
        request.responseFormatJSON = responseFormatJSON
        request.thinkingJSON = thinkingJSON
        return request
    }
}

extension UpstreamChatRequest {
    /// `propagationHeaders` as header fields, in name order.
    public var propagationHeaderFields: [(String, String)] {
        propagationHeaders.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
