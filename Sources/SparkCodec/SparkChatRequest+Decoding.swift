import JSON

extension SparkChatRequest {
    /// Decodes and validates a request frame the way Spark does (used by the simulator), with model-free
    /// limits: temperature (0, 2], max_tokens [1, 32768], top_k [1, 6], uid ≤ 32 scalars, roles
    /// `system`/`user`/`assistant` with `system` only first, a non-empty message list.
    public static func decode(json: [UInt8]) throws(SparkChatRequestDecodingError) -> SparkChatRequest {
        try decode(json: json, model: nil)
    }

    /// Like `decode(json:)`, and also checks the request against the endpoint's model: the domain must be
    /// the model's (10005), temperature and max_tokens within its limits (10005), and the estimated
    /// tokens of all messages within `contextTokenLimit` (10907).
    public static func decode(json: [UInt8], for model: SparkModel) throws(SparkChatRequestDecodingError) -> SparkChatRequest {
        try decode(json: json, model: model)
    }

    private static func decode(json: [UInt8], model: SparkModel?) throws(SparkChatRequestDecodingError) -> SparkChatRequest {
        let root: JSONValue
        do {
            root = try JSONScanner.parse(json)
        } catch {
            throw SparkChatRequestDecodingError(.invalidJSON, field: "", message: "invalid JSON: \(error)")
        }
        let header = try object(root, "header", path: "")
        let appID = try string(header, "app_id", path: "header")
        let uid = try optionalString(header, "uid", path: "header")
        if let uid {
            try check { rules throws(SparkRequestRuleViolation) in try rules.checkUID(uid) }
        }
        let chat = try object(try object(root, "parameter", path: ""), "chat", path: "parameter")
        let domain = try string(chat, "domain", path: "parameter.chat")
        if let model, domain != model.domain {
            throw SparkChatRequestDecodingError(
                .domainMismatch, field: "parameter.chat.domain", message: "domain \(domain) is not served at \(model.path)")
        }
        let temperature = try optionalDouble(chat, "temperature", path: "parameter.chat")
        if let temperature {
            try check { rules throws(SparkRequestRuleViolation) in try rules.checkTemperature(temperature, for: model) }
        }
        let maxTokens = try optionalInt(chat, "max_tokens", path: "parameter.chat")
        if let maxTokens {
            try check { rules throws(SparkRequestRuleViolation) in try rules.checkMaxTokens(maxTokens, for: model) }
        }
        let topK = try optionalInt(chat, "top_k", path: "parameter.chat")
        if let topK {
            try check { rules throws(SparkRequestRuleViolation) in try rules.checkTopK(topK) }
        }
        let chatID = try optionalString(chat, "chat_id", path: "parameter.chat")
        let webSearch = try decodeWebSearch(chat["tools"])

        let payload = try object(root, "payload", path: "")
        let messages = try decodeMessages(try object(payload, "message", path: "payload"))
        if let model, SparkTokenEstimator.estimate(messages) > model.contextTokenLimit {
            throw SparkChatRequestDecodingError(
                .tooLong, field: "payload.message.text", message: "messages exceed \(model.contextTokenLimit) tokens")
        }
        var functions: [SparkFunction] = []
        if let functionsValue = payload["functions"], !functionsValue.isNull {
            guard functionsValue.isObject else {
                throw SparkChatRequestDecodingError(.wrongType, field: "payload.functions", message: "must be an object")
            }
            functions = try decodeFunctions(functionsValue, json: json)
        }
        return SparkChatRequest(appID: appID, uid: uid, domain: domain, temperature: temperature, maxTokens: maxTokens,
                                topK: topK, chatID: chatID, messages: messages, functions: functions, webSearch: webSearch)
    }

    private static func decodeMessages(_ message: JSONValue) throws(SparkChatRequestDecodingError) -> [SparkChatMessage] {
        guard let text = message["text"] else {
            throw SparkChatRequestDecodingError(.missingField, field: "payload.message.text", message: "missing")
        }
        guard let items = text.arrayValue else {
            throw SparkChatRequestDecodingError(.wrongType, field: "payload.message.text", message: "must be an array")
        }
        try check { rules throws(SparkRequestRuleViolation) in try rules.checkMessageCount(items.count) }
        var messages: [SparkChatMessage] = []
        messages.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let path = "payload.message.text[\(index)]"
            guard item.isObject else { throw SparkChatRequestDecodingError(.wrongType, field: path, message: "must be an object") }
            let role = SparkChatMessage.Role(rawValue: try string(item, "role", path: path))
            try check { rules throws(SparkRequestRuleViolation) in
                try rules.checkRole(role, at: index)
                try rules.checkPosition(role, at: index)
            }
            let content = try string(item, "content", path: path)
            try check { rules throws(SparkRequestRuleViolation) in try rules.checkContent(content, at: index) }
            messages.append(SparkChatMessage(role: role, content: content))
        }
        try check { rules throws(SparkRequestRuleViolation) in try rules.checkLastMessage(messages) }
        return messages
    }

    private static func decodeFunctions(_ functions: JSONValue, json: [UInt8]) throws(SparkChatRequestDecodingError) -> [SparkFunction] {
        guard let text = functions["text"] else { return [] }
        guard let items = text.arrayValue else {
            throw SparkChatRequestDecodingError(.wrongType, field: "payload.functions.text", message: "must be an array")
        }
        var result: [SparkFunction] = []
        for (index, item) in items.enumerated() {
            let path = "payload.functions.text[\(index)]"
            guard item.isObject else { throw SparkChatRequestDecodingError(.wrongType, field: path, message: "must be an object") }
            let name = try string(item, "name", path: path)
            let description = try optionalString(item, "description", path: path) ?? ""
            var parameters: [UInt8] = Array("{}".utf8)
            if let member = item.member("parameters"), !member.value.isNull {
                guard member.value.isObject else {
                    throw SparkChatRequestDecodingError(.wrongType, field: "\(path).parameters", message: "must be an object")
                }
                parameters = Array(json[member.valueRange])
            }
            result.append(SparkFunction(name: name, description: description, parametersJSON: parameters))
        }
        return result
    }

    /// `parameter.chat.tools`: the `web_search` item's `enable` (default true), `nil` when there is none.
    private static func decodeWebSearch(_ tools: JSONValue?) throws(SparkChatRequestDecodingError) -> Bool? {
        guard let tools, !tools.isNull else { return nil }
        guard let items = tools.arrayValue else {
            throw SparkChatRequestDecodingError(.wrongType, field: "parameter.chat.tools", message: "must be an array")
        }
        for item in items where item["type"]?.stringValue == "web_search" {
            guard let search = item["web_search"], !search.isNull else { return true }
            guard let enable = search["enable"] else { return true }
            guard let value = enable.boolValue else {
                throw SparkChatRequestDecodingError(
                    .wrongType, field: "parameter.chat.tools.web_search.enable", message: "must be a boolean")
            }
            return value
        }
        return nil
    }

    /// Runs Spark's value rules with the gateway's profile (what Spark itself refuses) and turns a
    /// violation into the error Spark would answer: an empty message list is a schema error (10004),
    /// the rest value errors (10005).
    private static func check(_ rules: (SparkRequestRules) throws(SparkRequestRuleViolation) -> Void) throws(SparkChatRequestDecodingError) {
        do {
            try rules(.gateway)
        } catch {
            throw decodingError(for: error)
        }
    }

    private static func decodingError(for violation: SparkRequestRuleViolation) -> SparkChatRequestDecodingError {
        let text = "payload.message.text"
        return switch violation {
        case .noMessages:
            SparkChatRequestDecodingError(.emptyMessages, field: text, message: "no messages")
        case .undocumentedRole(let index, let role):
            SparkChatRequestDecodingError(.invalidRole, field: "\(text)[\(index)].role", message: "unknown role \(role.rawValue)")
        case .systemNotFirst(let index):
            SparkChatRequestDecodingError(.systemNotFirst, field: "\(text)[\(index)].role", message: "system must be the first message")
        case .blankContent(let index):
            SparkChatRequestDecodingError(.outOfRange, field: "\(text)[\(index)].content", message: "empty content")
        case .lastNotFromUser(let index):
            SparkChatRequestDecodingError(.outOfRange, field: "\(text)[\(index)].role", message: "the last message must be the user's")
        case .temperatureOutOfRange:
            SparkChatRequestDecodingError(.outOfRange, field: "parameter.chat.temperature", message: "temperature out of range")
        case .maxTokensOutOfRange:
            SparkChatRequestDecodingError(.outOfRange, field: "parameter.chat.max_tokens", message: "max_tokens out of range")
        case .topKOutOfRange:
            SparkChatRequestDecodingError(
                .outOfRange, field: "parameter.chat.top_k",
                message: "top_k out of range [\(SparkRequestRules.topKRange.lowerBound), \(SparkRequestRules.topKRange.upperBound)]")
        case .emptyUID:
            SparkChatRequestDecodingError(.outOfRange, field: "header.uid", message: "empty uid")
        case .uidTooLong:
            SparkChatRequestDecodingError(.outOfRange, field: "header.uid", message: "uid longer than \(maxUIDLength) characters")
        case .functionsUnsupported, .emptyFunctionName, .functionParametersNotAnObject:
            SparkChatRequestDecodingError(.outOfRange, field: "payload.functions", message: violation.description)
        }
    }

    // MARK: typed field access; `null` counts as absent for optional fields.

    private static func object(_ parent: JSONValue, _ key: String, path: String) throws(SparkChatRequestDecodingError) -> JSONValue {
        let field = path.isEmpty ? key : "\(path).\(key)"
        guard let value = parent[key] else { throw SparkChatRequestDecodingError(.missingField, field: field, message: "missing") }
        guard value.isObject else { throw SparkChatRequestDecodingError(.wrongType, field: field, message: "must be an object") }
        return value
    }

    private static func string(_ parent: JSONValue, _ key: String, path: String) throws(SparkChatRequestDecodingError) -> String {
        guard let value = try optionalString(parent, key, path: path) else {
            throw SparkChatRequestDecodingError(.missingField, field: "\(path).\(key)", message: "missing")
        }
        return value
    }

    private static func optionalString(_ parent: JSONValue, _ key: String, path: String) throws(SparkChatRequestDecodingError) -> String? {
        guard let value = parent[key], !value.isNull else { return nil }
        guard let string = value.stringValue else {
            throw SparkChatRequestDecodingError(.wrongType, field: "\(path).\(key)", message: "must be a string")
        }
        return string
    }

    private static func optionalDouble(_ parent: JSONValue, _ key: String, path: String) throws(SparkChatRequestDecodingError) -> Double? {
        guard let value = parent[key], !value.isNull else { return nil }
        guard let number = value.doubleValue else {
            throw SparkChatRequestDecodingError(.wrongType, field: "\(path).\(key)", message: "must be a number")
        }
        return number
    }

    private static func optionalInt(_ parent: JSONValue, _ key: String, path: String) throws(SparkChatRequestDecodingError) -> Int? {
        guard let value = parent[key], !value.isNull else { return nil }
        guard let number = value.intValue else {
            throw SparkChatRequestDecodingError(.wrongType, field: "\(path).\(key)", message: "must be an integer")
        }
        return number
    }
}
