import JSON

extension SparkHTTPRequest {
    /// The roles the HTTP API takes.
    public static let roles: Set<SparkChatMessage.Role> = [.system, .user, .assistant, .tool]

    /// Decodes and validates a request body the way the simulator answers it (SparkCodec/README.md
    /// §10.2), with model-free limits: an object with a string `model` and a non-empty `messages`
    /// array of `{role, content}` (roles `system` first only, `user`, `assistant`, `tool`;
    /// `content` may be `null` or absent for an assistant message), `tool_calls` as an array or a
    /// single object, temperature (0, 2], max_tokens [1, 32768], top_k [1, 6]. `tools` made only of
    /// function tools becomes `functions`, any other `tools` stays raw in `toolsJSON`;
    /// `tool_choice`, `response_format` and `thinking` are kept raw and compact. The errors carry
    /// the Spark code of the WebSocket decoder (10003 not JSON, 10004 schema, 10005 value).
    public static func decode(_ bytes: [UInt8]) throws(SparkChatRequestDecodingError) -> SparkHTTPRequest {
        let root: JSONValue
        do {
            root = try JSONScanner.parse(bytes)
        } catch {
            throw SparkChatRequestDecodingError(.invalidJSON, field: "", message: "invalid JSON: \(error)")
        }
        guard root.isObject else { throw SparkChatRequestDecodingError(.wrongType, field: "", message: "body must be a JSON object") }
        let model = try string(root, "model")
        let messages = try decodeMessages(root["messages"], bytes: bytes)
        var request = SparkHTTPRequest(model: model, messages: messages, stream: false)
        if let stream = present(root["stream"]) {
            guard let value = stream.boolValue else { throw wrongType("stream", "must be a boolean") }
            request.stream = value
        }
        if let value = present(root["temperature"]) {
            guard let number = value.doubleValue else { throw wrongType("temperature", "must be a number") }
            try check("temperature") { rules throws(SparkRequestRuleViolation) in try rules.checkTemperature(number, for: nil) }
            request.temperature = number
        }
        request.maxTokens = try optionalInt(root, "max_tokens")
        if let maxTokens = request.maxTokens {
            try check("max_tokens") { rules throws(SparkRequestRuleViolation) in try rules.checkMaxTokens(maxTokens, for: nil) }
        }
        request.topK = try optionalInt(root, "top_k")
        if let topK = request.topK {
            try check("top_k") { rules throws(SparkRequestRuleViolation) in try rules.checkTopK(topK) }
        }
        if let user = present(root["user"]) {
            guard let text = user.stringValue else { throw wrongType("user", "must be a string") }
            request.user = text
        }
        if let tools = root.member("tools"), !tools.value.isNull {
            guard let items = tools.value.arrayValue else { throw wrongType("tools", "must be an array") }
            if let functions = try decodeFunctionTools(items, bytes: bytes) {
                request.functions = functions
            } else {
                request.toolsJSON = JSONScanner.compact(bytes[tools.valueRange])
            }
        }
        request.toolChoiceJSON = raw(root, "tool_choice", bytes: bytes)
        request.responseFormatJSON = raw(root, "response_format", bytes: bytes)
        request.thinkingJSON = raw(root, "thinking", bytes: bytes)
        return request
    }

    /// `decode(_:)`, then `validate(for:)`.
    public static func decode(_ bytes: [UInt8], for model: SparkModel) throws(SparkChatRequestDecodingError) -> SparkHTTPRequest {
        let request = try decode(bytes)
        try request.validate(for: model)
        return request
    }

    /// Checks the request against the model it names: `model` must be the model's domain (10005),
    /// temperature and max_tokens within its limits (10005), the estimated tokens of all messages
    /// within `contextTokenLimit` (10907).
    public func validate(for model: SparkModel) throws(SparkChatRequestDecodingError) {
        guard self.model == model.domain else {
            throw SparkChatRequestDecodingError(.domainMismatch, field: "model", message: "model \(self.model) is not served at \(model.httpPath)")
        }
        if let temperature {
            try Self.check("temperature") { rules throws(SparkRequestRuleViolation) in try rules.checkTemperature(temperature, for: model) }
        }
        if let maxTokens {
            try Self.check("max_tokens") { rules throws(SparkRequestRuleViolation) in try rules.checkMaxTokens(maxTokens, for: model) }
        }
        if SparkTokenEstimator.estimate(messages) > model.contextTokenLimit {
            throw SparkChatRequestDecodingError(.tooLong, field: "messages", message: "messages exceed \(model.contextTokenLimit) tokens")
        }
    }

    // MARK: - Members

    private static func decodeMessages(_ value: JSONValue?, bytes: [UInt8]) throws(SparkChatRequestDecodingError) -> [SparkChatMessage] {
        guard let value = present(value) else {
            throw SparkChatRequestDecodingError(.missingField, field: "messages", message: "missing")
        }
        guard let items = value.arrayValue else { throw wrongType("messages", "must be an array") }
        guard !items.isEmpty else { throw SparkChatRequestDecodingError(.emptyMessages, field: "messages", message: "no messages") }
        var messages: [SparkChatMessage] = []
        messages.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let path = "messages[\(index)]"
            guard item.isObject else { throw wrongType(path, "must be an object") }
            guard let roleValue = present(item["role"]) else {
                throw SparkChatRequestDecodingError(.missingField, field: "\(path).role", message: "missing")
            }
            guard let roleText = roleValue.stringValue else { throw wrongType("\(path).role", "must be a string") }
            let role = SparkChatMessage.Role(rawValue: roleText)
            guard roles.contains(role) else {
                throw SparkChatRequestDecodingError(.invalidRole, field: "\(path).role", message: "unknown role \(roleText)")
            }
            guard role != .system || index == 0 else {
                throw SparkChatRequestDecodingError(.systemNotFirst, field: "\(path).role", message: "system must be the first message")
            }
            var content = ""
            if let contentValue = present(item["content"]) {
                guard let text = contentValue.stringValue else { throw wrongType("\(path).content", "must be a string") }
                content = text
            } else if role != .assistant {
                throw SparkChatRequestDecodingError(.missingField, field: "\(path).content", message: "missing")
            }
            var toolCalls: [SparkFunctionCall] = []
            if let calls = item.member("tool_calls"), !calls.value.isNull {
                let list: [JSONValue]
                if let array = calls.value.arrayValue {
                    list = array
                } else if calls.value.isObject {
                    list = [calls.value]
                } else {
                    throw wrongType("\(path).tool_calls", "must be an array or an object")
                }
                for (callIndex, call) in list.enumerated() {
                    toolCalls.append(try decodeToolCall(call, path: "\(path).tool_calls[\(callIndex)]", bytes: bytes))
                }
            }
            var toolCallID: String?
            if let id = present(item["tool_call_id"]) {
                guard let text = id.stringValue else { throw wrongType("\(path).tool_call_id", "must be a string") }
                toolCallID = text
            }
            messages.append(SparkChatMessage(role: role, content: content, toolCalls: toolCalls, toolCallID: toolCallID))
        }
        return messages
    }

    /// `{"id"?, "type"?, "function":{"name","arguments"}}`; `arguments` a string or, tolerated, an object.
    private static func decodeToolCall(_ call: JSONValue, path: String, bytes: [UInt8]) throws(SparkChatRequestDecodingError) -> SparkFunctionCall {
        guard call.isObject else { throw wrongType(path, "must be an object") }
        var id: String?
        if let value = present(call["id"]) {
            guard let text = value.stringValue else { throw wrongType("\(path).id", "must be a string") }
            id = text
        }
        guard let function = present(call["function"]) else {
            throw SparkChatRequestDecodingError(.missingField, field: "\(path).function", message: "missing")
        }
        guard function.isObject else { throw wrongType("\(path).function", "must be an object") }
        guard let nameValue = present(function["name"]) else {
            throw SparkChatRequestDecodingError(.missingField, field: "\(path).function.name", message: "missing")
        }
        guard let name = nameValue.stringValue else { throw wrongType("\(path).function.name", "must be a string") }
        var arguments = ""
        if let member = function.member("arguments"), !member.value.isNull {
            if let text = member.value.stringValue {
                arguments = text
            } else if member.value.isObject {
                arguments = String(decoding: JSONScanner.compact(bytes[member.valueRange]), as: UTF8.self)
            } else {
                throw wrongType("\(path).function.arguments", "must be a string")
            }
        }
        return SparkFunctionCall(name: name, arguments: arguments, id: id)
    }

    /// The functions when every item is `{"type":"function","function":{name, description?, parameters?}}`;
    /// `nil` when any item is another kind of tool (the caller keeps the raw array).
    private static func decodeFunctionTools(_ items: [JSONValue], bytes: [UInt8]) throws(SparkChatRequestDecodingError) -> [SparkFunction]? {
        var functions: [SparkFunction] = []
        for (index, item) in items.enumerated() {
            let path = "tools[\(index)]"
            guard item.isObject else { throw wrongType(path, "must be an object") }
            guard item["type"]?.stringValue == "function" else { return nil }
            guard let function = present(item["function"]) else {
                throw SparkChatRequestDecodingError(.missingField, field: "\(path).function", message: "missing")
            }
            guard function.isObject else { throw wrongType("\(path).function", "must be an object") }
            guard let nameValue = present(function["name"]) else {
                throw SparkChatRequestDecodingError(.missingField, field: "\(path).function.name", message: "missing")
            }
            guard let name = nameValue.stringValue else { throw wrongType("\(path).function.name", "must be a string") }
            var description = ""
            if let value = present(function["description"]) {
                guard let text = value.stringValue else { throw wrongType("\(path).function.description", "must be a string") }
                description = text
            }
            var parameters = Array("{}".utf8)
            if let member = function.member("parameters"), !member.value.isNull {
                guard member.value.isObject else { throw wrongType("\(path).function.parameters", "must be an object") }
                parameters = JSONScanner.compact(bytes[member.valueRange])
            }
            functions.append(SparkFunction(name: name, description: description, parametersJSON: parameters))
        }
        return functions
    }

    // MARK: - Helpers; `null` counts as absent.

    private static func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    private static func wrongType(_ field: String, _ message: String) -> SparkChatRequestDecodingError {
        SparkChatRequestDecodingError(.wrongType, field: field, message: message)
    }

    private static func string(_ parent: JSONValue, _ key: String) throws(SparkChatRequestDecodingError) -> String {
        guard let value = present(parent[key]) else { throw SparkChatRequestDecodingError(.missingField, field: key, message: "missing") }
        guard let text = value.stringValue else { throw wrongType(key, "must be a string") }
        return text
    }

    private static func optionalInt(_ parent: JSONValue, _ key: String) throws(SparkChatRequestDecodingError) -> Int? {
        guard let value = present(parent[key]) else { return nil }
        guard let number = value.intValue else { throw wrongType(key, "must be an integer") }
        return number
    }

    /// The compact bytes of a present, non-null member.
    private static func raw(_ parent: JSONValue, _ key: String, bytes: [UInt8]) -> [UInt8]? {
        guard let member = parent.member(key), !member.value.isNull else { return nil }
        return JSONScanner.compact(bytes[member.valueRange])
    }

    /// Runs one of Spark's value rules (gateway profile) and reports a violation as 10005 on `field`.
    private static func check(_ field: String, _ rule: (SparkRequestRules) throws(SparkRequestRuleViolation) -> Void) throws(SparkChatRequestDecodingError) {
        do {
            try rule(.gateway)
        } catch {
            throw SparkChatRequestDecodingError(.outOfRange, field: field, message: error.description)
        }
    }
}
