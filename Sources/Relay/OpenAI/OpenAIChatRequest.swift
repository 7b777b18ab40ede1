import HTTPCodec
import JSON
import RelayCrypto
import SparkCodec

/// An OpenAI `POST /v1/chat/completions` body, validated and mapped to what the model's protocol
/// accepts.
///
/// On the HTTP API (`"protocol": "http"` models) the conversation goes as the client wrote it:
/// assistant `tool_calls` with their ids, `tool` results with `tool_call_id`, and `tools`,
/// `tool_choice`, `response_format`, `thinking` and `user` forwarded verbatim.
///
/// On the WebSocket, `system` must come first for Spark, so the leading system messages are joined
/// and a later one becomes a user turn (as iFlytek's own SDK does). It has no tool role: an
/// assistant turn with `tool_calls` becomes an assistant message stating the calls, and `tool` (or
/// legacy `function`) results become a user message carrying the results, so the model sees the
/// whole round trip. Consecutive turns of the same role are merged (Spark expects alternating turns
/// ending with the user). What the WebSocket cannot honour at all — `response_format`, `thinking`,
/// a `web_search` tool, `tool_choice: "required"` — is a `400` naming the field and the protocol.
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
        let object: JSONValue
        do {
            object = try JSONScanner.parse(body)
        } catch {
            throw invalid("the body is not valid JSON", param: nil, code: "invalid_json")
        }
        guard object.isObject else { throw invalid("the body must be a JSON object", param: nil) }
        guard let modelName = object["model"]?.stringValue, !modelName.isEmpty else {
            throw invalid("'model' is required", param: "model", code: "missing_field")
        }
        guard let model = models.model(named: modelName) else {
            throw APIError(status: .notFound, type: "invalid_request_error", code: "model_not_found",
                           message: "The model '\(modelName.prefix(100))' does not exist; available: \(models.models.map(\.name).joined(separator: ", "))")
        }
        if let n = present(object["n"]) {
            guard let count = ChatInput.integer(n), count >= 1 else { throw invalid("'n' must be a positive integer", param: "n") }
            guard count == 1 else { throw invalid("'n' > 1 is not supported: Spark returns one answer per request", param: "n") }
        }
        let stream = object["stream"]?.boolValue ?? false
        let includeUsage = object["stream_options"]?["include_usage"]?.boolValue ?? false

        let native = model.upstreamProtocol == .http
        let messages = native ? try nativeMessages(object["messages"]) : try mapMessages(object["messages"])
        var input = ChatInput(messages: messages, model: model, uid: nil,
                              temperature: nil, maxTokens: nil, topK: nil, functions: [])
        if let value = present(object["temperature"]) {
            guard let temperature = ChatInput.number(value), (0...2).contains(temperature) else {
                throw invalid("'temperature' must be a number between 0 and 2", param: "temperature")
            }
            // OpenAI's [0, 2] is clamped into the model's range: Spark's WebSocket API rejects 0.
            input.temperature = SparkRequestRules.nearestTemperature(to: temperature, for: model)
        }
        let maxTokensValue = present(object["max_completion_tokens"]) ?? present(object["max_tokens"])
        if let value = maxTokensValue {
            let param = present(object["max_completion_tokens"]) == nil ? "max_tokens" : "max_completion_tokens"
            let notPositive = invalid("'\(param)' must be a positive integer", param: param)
            guard let tokens = ChatInput.integer(value) else { throw notPositive }
            do throws(SparkRequestRuleViolation) {
                try SparkRequestRules.client.checkMaxTokens(tokens, for: model)
            } catch {
                guard tokens >= 1 else { throw notPositive }
                throw invalid("'\(param)' is \(tokens), but model \(model.name) allows at most \(model.maxTokensLimit)", param: param)
            }
            input.maxTokens = tokens
        }
        if let value = present(object["top_k"]) {
            let range = SparkRequestRules.topKRange
            let outOfRange = invalid("'top_k' must be an integer from \(range.lowerBound) to \(range.upperBound)", param: "top_k")
            guard let topK = ChatInput.integer(value) else { throw outOfRange }
            do throws(SparkRequestRuleViolation) {
                try SparkRequestRules.client.checkTopK(topK)
            } catch {
                throw outOfRange
            }
            input.topK = topK
        }
        if let user = object["user"]?.stringValue {
            input.uid = uid(forUser: user)
        }
        if native {
            try passHTTPFields(object, in: body, models: models, model: model, into: &input)
        } else {
            try refuseHTTPOnlyFields(object, model: model)
            input.functions = try mapTools(object, in: body, models: models, model: model)
        }

        var ignored: [String] = []
        for key in ["top_p", "presence_penalty", "frequency_penalty", "logit_bias", "stop", "seed", "logprobs", "top_logprobs"]
        where present(object[key]) != nil {
            ignored.append(key)
        }
        return OpenAIChatRequest(input: input, requestedModel: modelName, stream: stream, includeUsage: includeUsage,
                                 ignoredParameters: ignored)
    }

    // MARK: - Messages

    private static func mapMessages(_ value: JSONValue?) throws(APIError) -> [SparkChatMessage] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw invalid("'messages' must be a non-empty array", param: "messages")
        }
        var systemParts: [String] = []
        var turns: [SparkChatMessage] = []
        var toolNames: [String: String] = [:]
        for (index, item) in items.enumerated() {
            let param = "messages[\(index)]"
            let message = item
            guard message.isObject, let role = message["role"]?.stringValue else {
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
                if let calls = objects(message["tool_calls"]), !calls.isEmpty {
                    var lines: [String] = []
                    for call in calls {
                        guard let function = call["function"], function.isObject, let name = function["name"]?.stringValue else {
                            throw invalid("\(param).tool_calls[].function.name is required", param: "\(param).tool_calls")
                        }
                        let arguments = function["arguments"]?.stringValue ?? "{}"
                        if let id = call["id"]?.stringValue { toolNames[id] = name }
                        lines.append("[function_call] \(name) \(arguments)")
                    }
                    text = ([text].filter { !$0.isEmpty } + lines).joined(separator: "\n")
                } else if let call = message["function_call"], call.isObject, let name = call["name"]?.stringValue {
                    text = ([text].filter { !$0.isEmpty } + ["[function_call] \(name) \(call["arguments"]?.stringValue ?? "{}")"]).joined(separator: "\n")
                }
                guard !text.isEmpty else {
                    throw invalid("\(param) has neither content nor tool_calls", param: "\(param).content")
                }
                append(&turns, .assistant, text)
            case "tool", "function":
                let result = try content(message["content"], param: "\(param).content", required: false)
                let name = message["name"]?.stringValue ?? message["tool_call_id"]?.stringValue.flatMap { toolNames[$0] } ?? "tool"
                append(&turns, .user, "[function_result] \(name): \(result)")
            default:
                throw invalid("\(param).role must be system, user, assistant or tool, got '\(role.prefix(40))'", param: "\(param).role")
            }
        }
        do throws(SparkRequestRuleViolation) {
            try SparkRequestRules.client.checkLastMessage(turns)
        } catch .noMessages {
            throw invalid("'messages' needs at least one user message", param: "messages")
        } catch {
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
    private static func content(_ value: JSONValue?, param: String, required: Bool) throws(APIError) -> String {
        guard let value = present(value) else {
            if required { throw invalid("\(param) is required", param: param) }
            return ""
        }
        if let text = value.stringValue {
            if required { try checkContent(text, param: param) }
            return text
        }
        if let parts = objects(value) {
            var texts: [String] = []
            for part in parts {
                guard part["type"]?.stringValue == "text", let text = part["text"]?.stringValue else {
                    throw invalid("\(param): only text content parts are supported by Spark's chat API", param: param)
                }
                texts.append(text)
            }
            let joined = texts.joined(separator: "\n")
            if required { try checkContent(joined, param: param) }
            return joined
        }
        throw invalid("\(param) must be a string or an array of text parts", param: param)
    }

    /// A required content must hold more than white space (Spark's rule for message contents).
    private static func checkContent(_ text: String, param: String) throws(APIError) {
        do throws(SparkRequestRuleViolation) {
            try SparkRequestRules.client.checkContent(text, at: 0)
        } catch {
            throw invalid("\(param) must not be empty", param: param)
        }
    }

    /// OpenAI's `user` as Spark's uid: as is when Spark accepts it, hashed when it is longer than Spark
    /// allows (so distinct users stay distinct), `nil` when empty.
    static func uid(forUser user: String) -> String? {
        do throws(SparkRequestRuleViolation) {
            try SparkRequestRules.client.checkUID(user)
            return user
        } catch .emptyUID {
            return nil
        } catch {
            return String(Hex.encode(Digest.sha256(Array(user.utf8))).prefix(SparkChatRequest.maxUIDLength))
        }
    }

    // MARK: - The HTTP API's fields

    /// The messages as the client wrote them, for the HTTP API: roles kept, assistant tool calls
    /// with their ids, `tool` results with their `tool_call_id`. Text parts are joined.
    private static func nativeMessages(_ value: JSONValue?) throws(APIError) -> [SparkChatMessage] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw invalid("'messages' must be a non-empty array", param: "messages")
        }
        var messages: [SparkChatMessage] = []
        var callIDs: Set<String> = []
        for (index, item) in items.enumerated() {
            let param = "messages[\(index)]"
            guard item.isObject, let role = item["role"]?.stringValue else {
                throw invalid("\(param) must be an object with a 'role'", param: param)
            }
            switch role {
            case "system", "developer":
                messages.append(SparkChatMessage(role: .system, content: try content(item["content"], param: "\(param).content", required: true)))
            case "user":
                messages.append(SparkChatMessage(role: .user, content: try content(item["content"], param: "\(param).content", required: true)))
            case "assistant":
                var message = SparkChatMessage(role: .assistant, content: try content(item["content"], param: "\(param).content", required: false))
                if let calls = present(item["tool_calls"]) {
                    guard let list = objects(calls) else { throw invalid("\(param).tool_calls must be an array of objects", param: "\(param).tool_calls") }
                    for (callIndex, call) in list.enumerated() {
                        let callParam = "\(param).tool_calls[\(callIndex)]"
                        guard let id = call["id"]?.stringValue, !id.isEmpty else {
                            throw invalid("\(callParam).id is required", param: "\(callParam).id")
                        }
                        guard let function = call["function"], function.isObject, let name = function["name"]?.stringValue, !name.isEmpty else {
                            throw invalid("\(callParam).function.name is required", param: "\(callParam).function.name")
                        }
                        callIDs.insert(id)
                        message.toolCalls.append(SparkFunctionCall(name: name, arguments: function["arguments"]?.stringValue ?? "{}", id: id))
                    }
                }
                guard !message.content.isEmpty || !message.toolCalls.isEmpty else {
                    throw invalid("\(param) has neither content nor tool_calls", param: "\(param).content")
                }
                messages.append(message)
            case "tool":
                guard let id = item["tool_call_id"]?.stringValue, !id.isEmpty else {
                    throw invalid("\(param).tool_call_id is required", param: "\(param).tool_call_id")
                }
                guard callIDs.contains(id) else {
                    throw invalid("\(param).tool_call_id '\(id.prefix(64))' answers no tool call of an earlier assistant message", param: "\(param).tool_call_id")
                }
                var message = SparkChatMessage(role: .tool, content: try content(item["content"], param: "\(param).content", required: false))
                message.toolCallID = id
                messages.append(message)
            case "function":
                throw invalid("\(param).role 'function' is the legacy form: send a 'tool' message with a tool_call_id", param: "\(param).role")
            default:
                throw invalid("\(param).role must be system, user, assistant or tool, got '\(role.prefix(40))'", param: "\(param).role")
            }
        }
        guard let last = messages.last, last.role == .user || last.role == .tool else {
            throw invalid("the last message must be from the user (or a tool result)", param: "messages[\(items.count - 1)].role")
        }
        return messages
    }

    /// `tools` (function and `web_search` tools), `tool_choice`, `response_format` and `thinking`
    /// checked for shape and forwarded as the client's own compact bytes.
    private static func passHTTPFields(_ object: JSONValue, in body: [UInt8], models: SparkModelTable, model: SparkModel,
                                       into input: inout ChatInput) throws(APIError) {
        func raw(_ name: String) -> [UInt8]? {
            guard let member = object.member(name), !member.value.isNull else { return nil }
            return JSONScanner.compact(body[member.valueRange])
        }
        if let tools = present(object["tools"]) {
            guard let list = objects(tools) else { throw invalid("'tools' must be an array", param: "tools") }
            var functionCount = 0
            for (index, tool) in list.enumerated() {
                switch tool["type"]?.stringValue {
                case "function":
                    guard let function = tool["function"], function.isObject, let name = function["name"]?.stringValue else {
                        throw invalid("tools[\(index)].function.name is required", param: "tools[\(index)].function.name")
                    }
                    do throws(SparkRequestRuleViolation) {
                        try SparkRequestRules.client.checkFunctionName(name, at: index)
                    } catch {
                        throw invalid("tools[\(index)].function.name is required", param: "tools[\(index)].function.name")
                    }
                    if let schema = present(function["parameters"]), !schema.isObject {
                        throw invalid("tools[\(index)].function.parameters must be a JSON Schema object", param: "tools[\(index)].function.parameters")
                    }
                    functionCount += 1
                case "web_search":
                    break
                default:
                    throw invalid("tools[\(index)].type must be function or web_search", param: "tools[\(index)].type")
                }
            }
            if functionCount > 0 {
                do throws(SparkRequestRuleViolation) {
                    try SparkRequestRules.client.checkFunctionSupport(count: functionCount, for: model)
                } catch {
                    let capable = models.models.filter(\.supportsFunctions).map(\.name).joined(separator: " or ")
                    throw invalid("model \(model.name) does not support tools on Spark; use \(capable)", param: "tools")
                }
            }
            input.httpOnly.toolsJSON = raw("tools")
        } else if present(object["functions"]) != nil {
            input.functions = try mapTools(object, in: body, models: models, model: model)
        }
        if let choice = present(object["tool_choice"]) {
            guard choice.stringValue != nil || choice.isObject else {
                throw invalid("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":…}}", param: "tool_choice")
            }
            input.httpOnly.toolChoiceJSON = raw("tool_choice")
        }
        if let format = present(object["response_format"]) {
            guard format.isObject, let type = format["type"]?.stringValue, ["text", "json_object"].contains(type) else {
                throw invalid("'response_format' must be {\"type\":\"text\"} or {\"type\":\"json_object\"}", param: "response_format")
            }
            input.httpOnly.responseFormatJSON = raw("response_format")
        }
        if let thinking = present(object["thinking"]) {
            guard thinking.isObject, thinking["type"]?.stringValue != nil else {
                throw invalid("'thinking' must be an object such as {\"type\":\"enabled\"} or {\"type\":\"disabled\"}", param: "thinking")
            }
            input.httpOnly.thinkingJSON = raw("thinking")
        }
    }

    /// On the WebSocket: a `400` naming each field it cannot honour, rather than a silent drop.
    private static func refuseHTTPOnlyFields(_ object: JSONValue, model: SparkModel) throws(APIError) {
        func refuse(_ field: String, _ what: String) -> APIError {
            invalid("'\(field)' \(what) needs Spark's HTTP protocol, but model \(model.name) uses the websocket protocol "
                    + "(set \"protocol\": \"http\" for it in upstream.models, or upstream.protocol)", param: field, code: "unsupported_on_protocol")
        }
        if present(object["response_format"]) != nil { throw refuse("response_format", "(JSON mode)") }
        if present(object["thinking"]) != nil { throw refuse("thinking", "(X1.5's thinking switch)") }
        if let choice = present(object["tool_choice"]), choice.stringValue == "required" {
            throw refuse("tool_choice", "\"required\"")
        }
        if let tools = objects(present(object["tools"])),
           let index = tools.firstIndex(where: { $0["type"]?.stringValue == "web_search" }) {
            throw refuse("tools[\(index)]", "(a web_search tool)")
        }
    }

    // MARK: - Tools

    /// `body` is the request the object was parsed from: a tool's `parameters` schema is forwarded
    /// as its own bytes, compacted, never re-encoded.
    private static func mapTools(_ object: JSONValue, in body: [UInt8], models: SparkModelTable, model: SparkModel) throws(APIError) -> [SparkFunction] {
        var definitions: [JSONValue] = []
        if let tools = present(object["tools"]) {
            guard let list = objects(tools) else { throw invalid("'tools' must be an array", param: "tools") }
            for (index, tool) in list.enumerated() {
                guard tool["type"]?.stringValue == "function", let function = tool["function"], function.isObject else {
                    throw invalid("tools[\(index)] must be {\"type\":\"function\",\"function\":{…}}", param: "tools[\(index)]")
                }
                definitions.append(function)
            }
        }
        if let functions = present(object["functions"]) {
            guard let list = objects(functions) else { throw invalid("'functions' must be an array", param: "functions") }
            definitions += list
        }
        let choice = present(object["tool_choice"] ?? object["function_call"])
        if choice?.stringValue == "none" { return [] }
        if let choice, choice.isObject, let forced = choice["function"]?["name"]?.stringValue ?? choice["name"]?.stringValue {
            definitions = definitions.filter { $0["name"]?.stringValue == forced }
        }
        guard !definitions.isEmpty else { return [] }
        do throws(SparkRequestRuleViolation) {
            try SparkRequestRules.client.checkFunctionSupport(count: definitions.count, for: model)
        } catch {
            let capable = models.models.filter(\.supportsFunctions).map(\.name).joined(separator: " or ")
            throw invalid("model \(model.name) does not support tools on Spark; use \(capable)", param: "tools")
        }
        var functions: [SparkFunction] = []
        for (index, definition) in definitions.enumerated() {
            let nameRequired = invalid("tools[\(index)].function.name is required", param: "tools[\(index)].function.name")
            guard let name = definition["name"]?.stringValue else { throw nameRequired }
            do throws(SparkRequestRuleViolation) {
                try SparkRequestRules.client.checkFunctionName(name, at: index)
            } catch {
                throw nameRequired
            }
            var parameters = Array("{}".utf8)
            if let schema = definition.member("parameters"), !schema.value.isNull {
                guard schema.value.isObject else {
                    throw invalid("tools[\(index)].function.parameters must be a JSON Schema object", param: "tools[\(index)].function.parameters")
                }
                parameters = JSONScanner.compact(body[schema.valueRange])
            }
            functions.append(SparkFunction(name: name, description: definition["description"]?.stringValue ?? "", parametersJSON: parameters))
        }
        return functions
    }

    /// The value unless it is absent or JSON `null`.
    private static func present(_ value: JSONValue?) -> JSONValue? {
        ChatInput.present(value)
    }

    /// The elements of an array whose elements are all objects; `nil` for anything else.
    private static func objects(_ value: JSONValue?) -> [JSONValue]? {
        guard let elements = value?.arrayValue, elements.allSatisfy(\.isObject) else { return nil }
        return elements
    }

    static func invalid(_ message: String, param: String?, code: String = "invalid_field") -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", code: code, message: message)
    }
}
