import HTTPCodec
import JSON
import SparkCodec

/// `stream: true`: `chat.completion.chunk` events ending in `data: [DONE]`. The head waits for the
/// first frame, so a failure before it is an HTTP error status; a failure after it is an error
/// chunk, and the stream ends without `[DONE]` (how OpenAI's SDKs expect errors mid-stream).
// @unchecked: used only by its one subscriber, on that subscriber's event loop (the StreamOutput contract); it encodes every chunk, so it takes no lock
final class OpenAIStreamOutput: StreamOutput, @unchecked Sendable {
    private var completion: OpenAICompletion
    private let includeUsage: Bool
    private var started = false
    private var toolCalls = 0
    private var usage: SparkUsage?

    init(completion: OpenAICompletion, includeUsage: Bool) {
        self.completion = completion
        self.includeUsage = includeUsage
    }

    var contentType: String { "text/event-stream; charset=utf-8" }
    var sendsHeadImmediately: Bool { false }
    func preamble() -> [UInt8] { [] }
    func heartbeat() -> [UInt8]? { SSEEncoder.comment("ping") }

    func encode(_ event: StreamEvent, streamID: String) -> StreamOutputAction {
        let id = completion.adoptID(sid: event.sid, fallback: streamID)
        var out: [UInt8] = []
        switch event.kind {
        case .data:
            if let usage = event.usage { self.usage = usage }
            if !started {
                started = true
                out += data(completion.chunk(id: id, delta: { w in
                    w.key("role"); w.string("assistant")
                    w.key("content"); w.string("")
                }, finishReason: nil))
            }
            if let reasoning = event.reasoning, !reasoning.isEmpty {
                out += data(completion.chunk(id: id, delta: { w in w.key("reasoning_content"); w.string(reasoning) }, finishReason: nil))
            }
            if !event.text.isEmpty {
                let text = event.text
                out += data(completion.chunk(id: id, delta: { w in w.key("content"); w.string(text) }, finishReason: nil))
            }
            if !event.functionCalls.isEmpty {
                let first = toolCalls
                toolCalls += event.functionCalls.count
                let calls = event.functionCalls.enumerated().map { offset, call in
                    (id: call.id ?? OpenAICompletion.toolCallID(sid: event.sid, fallback: streamID, index: first + offset), call: call)
                }
                out += data(completion.chunk(id: id, delta: { w in
                    w.key("tool_calls")
                    w.beginArray()
                    for (offset, item) in calls.enumerated() {
                        OpenAICompletion.writeToolCall(item.id, item.call, index: first + offset, &w)
                    }
                    w.endArray()
                }, finishReason: nil))
            }
            return out.isEmpty ? .none : .write(out)
        case .done:
            finish(into: &out, id: id, contentFiltered: false, usage: event.usage ?? usage)
            return .write(out)
        case .error:
            guard let failure = event.failure else { return .write(out) }
            if OpenAIErrorMapping.isContentFilter(failure) {
                finish(into: &out, id: id, contentFiltered: true, usage: usage)
                return .write(out)
            }
            guard started else { return .respond(OpenAIErrorMapping.apiError(for: failure).openAIResponse) }
            return .write(data(OpenAIErrorMapping.streamedError(for: failure)))
        }
    }

    private func finish(into out: inout [UInt8], id: String, contentFiltered: Bool, usage: SparkUsage?) {
        if !started {
            started = true
            out += data(completion.chunk(id: id, delta: { w in
                w.key("role"); w.string("assistant")
                w.key("content"); w.string("")
            }, finishReason: nil))
        }
        let reason = completion.finishReason(toolCalled: toolCalls > 0, usage: usage, contentFiltered: contentFiltered)
        out += data(completion.chunk(id: id, delta: { _ in }, finishReason: reason))
        if includeUsage {
            let total = usage ?? SparkUsage(promptTokens: 0, completionTokens: 0, totalTokens: 0)
            out += data(completion.chunk(id: id, delta: { _ in }, finishReason: nil, usage: total, emptyChoices: true))
        }
        out += Array("data: [DONE]\n\n".utf8)
    }

    private func data(_ json: [UInt8]) -> [UInt8] {
        SSEEncoder.encodeData(json: json, id: nil, event: nil)
    }
}

/// `stream: false`: collects the answer and responds once with a `chat.completion`, or with the
/// error status of the failure.
// @unchecked: used only by its one subscriber, on that subscriber's event loop (the StreamOutput contract); it collects every chunk, so it takes no lock
final class OpenAICompletionOutput: StreamOutput, @unchecked Sendable {
    private var completion: OpenAICompletion
    private var text = ""
    private var reasoning = ""
    private var toolCalls: [(id: String, call: SparkFunctionCall)] = []
    private var usage: SparkUsage?
    private var sid: String?

    init(completion: OpenAICompletion) {
        self.completion = completion
    }

    var contentType: String { "application/json" }
    var sendsHeadImmediately: Bool { false }
    func preamble() -> [UInt8] { [] }
    func heartbeat() -> [UInt8]? { nil }

    func encode(_ event: StreamEvent, streamID: String) -> StreamOutputAction {
        if sid == nil { sid = event.sid }
        switch event.kind {
        case .data:
            text += event.text
            reasoning += event.reasoning ?? ""
            for call in event.functionCalls {
                toolCalls.append((call.id ?? OpenAICompletion.toolCallID(sid: event.sid, fallback: streamID, index: toolCalls.count), call))
            }
            if let usage = event.usage { self.usage = usage }
            return .none
        case .done:
            return .respond(response(streamID: streamID, usage: event.usage ?? usage, contentFiltered: false))
        case .error:
            guard let failure = event.failure else { return .respond(APIError.upstreamFailed.openAIResponse) }
            if OpenAIErrorMapping.isContentFilter(failure) {
                return .respond(response(streamID: streamID, usage: usage, contentFiltered: true))
            }
            return .respond(OpenAIErrorMapping.apiError(for: failure).openAIResponse)
        }
    }

    private func response(streamID: String, usage: SparkUsage?, contentFiltered: Bool) -> HTTPResponse {
        let id = completion.adoptID(sid: sid, fallback: streamID)
        let reason = completion.finishReason(toolCalled: !toolCalls.isEmpty, usage: usage, contentFiltered: contentFiltered)
        let body = completion.completion(id: id, text: text, reasoning: reasoning, toolCalls: toolCalls, finishReason: reason, usage: usage)
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: body)
    }
}

extension APIError {
    static let upstreamFailed = APIError(status: .badGateway, type: "upstream_error", code: "upstream_error",
                                         message: "the upstream failed")

    /// The error as OpenAI shapes it: `{"error":{"message","type","param","code"}}`.
    var openAIResponse: HTTPResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("message"); writer.string(message)
        writer.key("type"); writer.string(type)
        writer.key("param"); writer.null()
        writer.key("code"); writer.string(code)
        writer.endObject()
        writer.endObject()
        var headers = HTTPHeaders(self.headers)
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: headers, body: writer.bytes)
    }
}
