import SparkCodec

/// Why a stream failed, in the terms every output format needs (SSE error object, OpenAI status).
public struct StreamFailure: Sendable, Equatable {
    /// Spark's own integer code, when the failure is Spark's error frame.
    public var sparkCode: Int?
    /// The string code for relay failures (`upstream_timeout_idle`, `client_disconnected`, …).
    public var code: String
    /// `upstream_error` or `relay_error`.
    public var type: String
    /// The status an HTTP answer would carry if nothing was sent yet.
    public var httpStatus: Int
    /// A readable explanation (never contains secrets).
    public var message: String
    /// Spark's session id, when known.
    public var sid: String?
}

/// One event of a chat stream, kept in the replay buffer and written to readers in their format.
public struct StreamEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// One Spark frame: `json` is its `payload` object.
        case data
        /// The end: `json` is `{"sid","usage"}`.
        case done
        /// The failure that ended the stream: `json` is `{"error":{...}}`, `failure` says more.
        case error
    }

    /// 1, 2, 3 … within the stream: the `n` of `id: {streamId}:{n}`.
    public var sequence: Int
    public var kind: Kind
    /// One line of JSON (no CR or LF).
    public var json: [UInt8]
    /// For `.data`: the content delta.
    public var text: String
    /// For `.data`: X1's reasoning delta.
    public var reasoning: String?
    /// For `.data`: the function (tool) calls chosen by the model, in order (Spark's WebSocket
    /// sends one; the HTTP API may send several, with ids).
    public var functionCalls: [SparkFunctionCall]
    /// Spark's session id.
    public var sid: String?
    /// For the last `.data` frame and `.done`: token usage.
    public var usage: SparkUsage?
    /// For `.error`.
    public var failure: StreamFailure?

    public init(sequence: Int = 0, kind: Kind, json: [UInt8], text: String = "", reasoning: String? = nil,
                functionCalls: [SparkFunctionCall] = [], sid: String? = nil, usage: SparkUsage? = nil, failure: StreamFailure? = nil) {
        self.sequence = sequence
        self.kind = kind
        self.json = json
        self.text = text
        self.reasoning = reasoning
        self.functionCalls = functionCalls
        self.sid = sid
        self.usage = usage
        self.failure = failure
    }

    /// `true` for the event that ends the stream.
    public var isTerminal: Bool { kind != .data }

    /// Approximate memory held by the event (for replay bounds).
    public var byteCount: Int {
        json.count + text.utf8.count + (reasoning?.utf8.count ?? 0) + functionCalls.reduce(0) { $0 + $1.name.utf8.count + $1.arguments.utf8.count + ($1.id?.utf8.count ?? 0) } + 96
    }

    /// A terminal error event for a relay-side failure.
    static func relayError(code: String, message: String, httpStatus: Int = 502) -> StreamEvent {
        let failure = StreamFailure(sparkCode: nil, code: code, type: "relay_error", httpStatus: httpStatus, message: message, sid: nil)
        return StreamEvent(kind: .error, json: StreamEventJSON.error(failure), text: message, failure: failure)
    }
}
