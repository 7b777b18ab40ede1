import Foundation
import HTTPCodec
import RelayCrypto
import SparkCodec

/// An OpenAI `POST /v1/chat/completions` body, validated and mapped to what Spark accepts.
///
/// Messages: `system` must come first for Spark, so the leading system messages are joined and a
/// later one becomes a user turn (as iFlytek's own SDK does). Spark's WebSocket API has no tool
/// role: an assistant turn with `tool_calls` becomes an assistant message stating the calls, and
/// `tool` (or legacy `function`) results become a user message carrying the results, so the model
/// sees the whole round trip. Consecutive turns of the same role are merged (Spark expects
/// alternating turns ending with the user).
struct OpenAIChatRequest: Sendable {
    var input: ChatInput
    /// The model name as the client sent it (echoed in responses).
    var requestedModel: String
    var stream: Bool
    var includeUsage: Bool
    /// Accepted but not supported by Spark (reported in `X-Relay-Ignored-Params`).
    var ignoredParameters: [String]

    static func parse(body: [UInt8], headers: HTTPHeaders, models: SparkModelTable) throws(APIError) -> OpenAIChatRequest {
        try ChatInput.checkContentType(headers)
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw invalid("the body must be a JSON object", param: nil)
            }
            object = parsed
        } catch let error as APIError {
            throw error
        } catch {
            throw invalid("the body is not valid JSON", param: nil, code: "invalid_json")
        }
        guard let modelName = object["model"] as? String, !modelName.isEmpty else {
            throw invalid("'model' is required", param: "model", code: "missing_field")
        }
        guard let model = models.model(named: modelName) else {
            throw APIError(status: .notFound, type: "invalid_request_error", code: "model_not_found",
                           message: "The model '\(modelName.prefix(100))' does not exist; available: \(models.models.map(\.name).joined(separator: ", "))")
        }
        if let n = object["n"], !(n is NSNull) {
            guard let count = ChatInput.integer(n), count >= 1 else { throw invalid("'n' must be a positive integer", param: "n") }
            guard count == 1 else { throw invalid("'n' > 1 is not supported: Spark returns one answer per request", param: "n") }
        }
        let stream = (object["stream"] as? Bool) ?? false
        let includeUsage = ((object["stream_options"] as? [String: Any])?["include_usage"] as? Bool) ?? false

        var input = ChatInput(messages: try mapMessages(object["messages"]), model: model, uid: nil,
                              temperature: nil, maxTokens: nil, topK: nil, functions: [])
        if let value = object["temperature"], !(value is NSNull) {
            guard let temperature = ChatInput.number(value), (0...2).contains(temperature) else {
                throw invalid("'temperature' must be a number between 0 and 2", param: "temperature")
            }
            // OpenAI's [0, 2] is clamped into the model's range: Spark's WebSocket API rejects 0.
            let range = model.temperatureRange
            input.temperature = min(max(temperature, range.lowerBound + 0.01), range.upperBound)
        }
        let maxTokensValue = object["max_completion_tokens"].flatMap { $0 is NSNull ? nil : $0 } ?? object["max_tokens"].flatMap { $0 is NSNull ? nil : $0 }
        if let value = maxTokensValue {
            let param = object["max_completion_tokens"] is NSNull || object["max_completion_tokens"] == nil ? "max_tokens" : "max_completion_tokens"
            guard let tokens = ChatInput.integer(value), tokens >= 1 else {
                throw invalid("'\(param)' must be a positive integer", param: param)
            }
            guard model.acceptsMaxTokens(tokens) else {
                throw invalid("'\(param)' is \(tokens), but model \(model.name) allows at most \(model.maxTokensLimit)", param: param)
            }
            input.maxTokens = tokens
        }
        if let value = object["top_k"], !(value is NSNull) {
            guard let topK = ChatInput.integer(value), (1...6).contains(topK) else {
                throw invalid("'top_k' must be an integer from 1 to 6", param: "top_k")
            }
            input.topK = topK
        }
        if let user = object["user"] as? String, !user.isEmpty {
            // Spark's uid holds at most 32 characters; longer ids are hashed so they stay distinct.
            input.uid = user.count <= SparkChatRequest.maxUIDLength ? user : String(Hex.encode(Digest.sha256(Array(user.utf8))).prefix(32))
        }
        input.functions = try mapTools(object, model: model)

        var ignored: [String] = []
        for key in ["top_p", "presence_penalty", "frequency_penalty", "logit_bias", "stop", "seed", "response_format", "logprobs", "top_logprobs"]
        where object[key] != nil && !(object[key] is NSNull) {
            ignored.append(key)
        }
        return OpenAIChatRequest(input: input, requestedModel: modelName, stream: stream, includeUsage: includeUsage,
                                 ignoredParameters: ignored)
    }

    // MARK: - Messages

    private static func mapMessages(_ value: Any?) throws(APIError) -> [SparkChatMessage] {
        guard let items = value as? [Any], !items.isEmpty else {
            throw invalid("'messages' must be a non-empty array", param: "messages")
        }
        var systemParts: [String] = []
        var turns: [SparkChatMessage] = []
        var toolNames: [String: String] = [:]
        for (index, item) in items.enumerated() {
            let param = "messages[\(index)]"
            guard let message = item as? [String: Any], let role = message["role"] as? String else {
                throw invalid("\(param) must be an object with a 'role'", param: param)
            }
            switch role {
            case "system", "developer":
                let text = try content(message["content"], param: "\(param).content", required: true)
                if turns.isEmpty { systemParts.append(text) } else { append(&turns, .user, text) }
            case "user":
                append(&turns, .user, try content(message["content"], param: "\(param).content", required: true))
            case "assistant":
                var text = try content(message["content"], param: "\(param).content", required: false)
                if let calls = message["tool_calls"] as? [[String: Any]], !calls.isEmpty {
                    var lines: [String] = []
                    for call in calls {
                        guard let function = call["function"] as? [String: Any], let name = function["name"] as? String else {
                            throw invalid("\(param).tool_calls[].function.name is required", param: "\(param).tool_calls")
                        }
                        let arguments = (function["arguments"] as? String) ?? "{}"
                        if let id = call["id"] as? String { toolNames[id] = name }
                        lines.append("[function_call] \(name) \(arguments)")
                    }
                    text = ([text].filter { !$0.isEmpty } + lines).joined(separator: "\n")
                } else if let call = message["function_call"] as? [String: Any], let name = call["name"] as? String {
                    text = ([text].filter { !$0.isEmpty } + ["[function_call] \(name) \((call["arguments"] as? String) ?? "{}")"]).joined(separator: "\n")
                }
                guard !text.isEmpty else {
                    throw invalid("\(param) has neither content nor tool_calls", param: "\(param).content")
                }
                append(&turns, .assistant, text)
            case "tool", "function":
                let result = try content(message["content"], param: "\(param).content", required: false)
                let name = (message["name"] as? String) ?? (message["tool_call_id"] as? String).flatMap { toolNames[$0] } ?? "tool"
                append(&turns, .user, "[function_result] \(name): \(result)")
            default:
                throw invalid("\(param).role must be system, user, assistant or tool, got '\(role.prefix(40))'", param: "\(param).role")
            }
        }
        guard let last = turns.last else {
            throw invalid("'messages' needs at least one user message", param: "messages")
        }
        guard last.role == .user else {
            throw invalid("the last message must be from the user (or a tool result)", param: "messages[\(items.count - 1)].role")
        }
        if !systemParts.isEmpty {
            turns.insert(SparkChatMessage(role: .system, content: systemParts.joined(separator: "\n")), at: 0)
        }
        return turns
    }

    private static func append(_ turns: inout [SparkChatMessage], _ role: SparkChatMessage.Role, _ text: String) {
        if let last = turns.last, last.role == role, role != .system {
            turns[turns.count - 1].content = last.content + "\n\n" + text
        } else {
            turns.append(SparkChatMessage(role: role, content: text))
        }
    }

    /// A message's text: a string, or an array of `{"type":"text","text":…}` parts.
    private static func content(_ value: Any?, param: String, required: Bool) throws(APIError) -> String {
        if value == nil || value is NSNull {
            if required { throw invalid("\(param) is required", param: param) }
            return ""
        }
        if let text = value as? String {
            if required && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw invalid("\(param) must not be empty", param: param)
            }
            return text
        }
        if let parts = value as? [[String: Any]] {
            var texts: [String] = []
            for part in parts {
                guard (part["type"] as? String) == "text", let text = part["text"] as? String else {
                    throw invalid("\(param): only text content parts are supported by Spark's chat API", param: param)
                }
                texts.append(text)
            }
            let joined = texts.joined(separator: "\n")
            if required && joined.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw invalid("\(param) must not be empty", param: param)
            }
            return joined
        }
        throw invalid("\(param) must be a string or an array of text parts", param: param)
    }

    // MARK: - Tools

    private static func mapTools(_ object: [String: Any], model: SparkModel) throws(APIError) -> [SparkFunction] {
        var definitions: [[String: Any]] = []
        if let tools = object["tools"], !(tools is NSNull) {
            guard let list = tools as? [[String: Any]] else { throw invalid("'tools' must be an array", param: "tools") }
            for (index, tool) in list.enumerated() {
                guard (tool["type"] as? String) == "function", let function = tool["function"] as? [String: Any] else {
                    throw invalid("tools[\(index)] must be {\"type\":\"function\",\"function\":{…}}", param: "tools[\(index)]")
                }
                definitions.append(function)
            }
        }
        if let functions = object["functions"], !(functions is NSNull) {
            guard let list = functions as? [[String: Any]] else { throw invalid("'functions' must be an array", param: "functions") }
            definitions += list
        }
        var choice = object["tool_choice"] ?? object["function_call"]
        if choice is NSNull { choice = nil }
        if let mode = choice as? String, mode == "none" { return [] }
        if let forced = (choice as? [String: Any]).flatMap({ ($0["function"] as? [String: Any])?["name"] as? String ?? $0["name"] as? String }) {
            definitions = definitions.filter { ($0["name"] as? String) == forced }
        }
        guard !definitions.isEmpty else { return [] }
        guard model.supportsFunctions else {
            throw invalid("model \(model.name) does not support tools on Spark; use generalv3.5 or 4.0Ultra", param: "tools")
        }
        var functions: [SparkFunction] = []
        for (index, definition) in definitions.enumerated() {
            guard let name = definition["name"] as? String, !name.isEmpty else {
                throw invalid("tools[\(index)].function.name is required", param: "tools[\(index)].function.name")
            }
            var parameters = Array("{}".utf8)
            if let schema = definition["parameters"], !(schema is NSNull) {
                guard schema is [String: Any], let data = try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                    throw invalid("tools[\(index)].function.parameters must be a JSON Schema object", param: "tools[\(index)].function.parameters")
                }
                parameters = Array(data)
            }
            functions.append(SparkFunction(name: name, description: (definition["description"] as? String) ?? "", parametersJSON: parameters))
        }
        return functions
    }

    static func invalid(_ message: String, param: String?, code: String = "invalid_field") -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", code: code, message: message)
    }
}
