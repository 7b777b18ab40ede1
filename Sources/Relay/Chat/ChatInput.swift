import HTTPCodec
import JSON
import SparkCodec
import SparkUpstream

/// A validated chat request body (`POST /chat/stream`, `POST /chat`): messages (or the `prompt`
/// shorthand), the model and Spark's parameters. Every rejection names the field.
public struct ChatInput: Sendable, Equatable {
    public var messages: [SparkChatMessage]
    public var model: SparkModel
    public var uid: String?
    public var temperature: Double?
    public var maxTokens: Int?
    public var topK: Int?
    public var functions: [SparkFunction]
    /// What only the HTTP API carries (`/v1` on HTTP models): tools verbatim, `tool_choice`,
    /// `response_format`, `thinking`.
    public var httpOnly = HTTPOnlyFields()

    /// Fields of a request only Spark's HTTP API can honour, as compact JSON forwarded verbatim.
    public struct HTTPOnlyFields: Sendable, Equatable {
        public var toolsJSON: [UInt8]?
        public var toolChoiceJSON: [UInt8]?
        public var responseFormatJSON: [UInt8]?
        public var thinkingJSON: [UInt8]?
    }

    /// The protocol-neutral request an `Upstream` puts on its wire.
    public var upstreamRequest: UpstreamChatRequest {
        UpstreamChatRequest(model: model, messages: messages, user: uid, temperature: temperature, maxTokens: maxTokens,
                            topK: topK, functions: functions, toolsJSON: httpOnly.toolsJSON, toolChoiceJSON: httpOnly.toolChoiceJSON,
                            responseFormatJSON: httpOnly.responseFormatJSON, thinkingJSON: httpOnly.thinkingJSON)
    }

    /// Content types accepted for chat bodies: JSON, and `application/x-www-form-urlencoded` when the
    /// body is JSON anyway (what `curl -d` sends). Anything else is `415`.
    static func checkContentType(_ headers: HTTPHeaders) throws(APIError) {
        guard let value = headers["Content-Type"] else { return }
        if isAcceptedMediaType(mediaType(of: value)) { return }
        throw APIError(status: .unsupportedMediaType, type: "invalid_request_error", code: "unsupported_media_type",
                       message: "the body must be JSON (Content-Type: application/json), got '\(value.prefix(100))'")
    }

    /// JSON (`application/json`, `application/…+json`) or a form (`application/x-www-form-urlencoded`).
    static func isAcceptedMediaType(_ mediaType: String) -> Bool {
        mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
            || mediaType == "application/x-www-form-urlencoded"
    }

    /// The media type of a `Content-Type` value: its first segment between `;`s, trimmed, lowercased. An ASCII value
    /// (every real one) is handled byte by byte; any other goes through Unicode's trimming and case.
    static func mediaType(of value: String) -> String {
        let utf8 = value.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else {
            return value.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() } ?? ""
        }
        // The first segment that is not empty, as `split` (which omits empty ones) finds it.
        var bytes = Array(utf8.drop { $0 == UInt8(ascii: ";") }.prefix { $0 != UInt8(ascii: ";") })
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        while let last = bytes.last, isSpace(last) { bytes.removeLast() }
        let start = bytes.firstIndex { !isSpace($0) } ?? bytes.endIndex
        for index in bytes.indices where (0x41...0x5A).contains(bytes[index]) { bytes[index] |= 0x20 }
        return String(decoding: bytes[start...], as: UTF8.self)
    }

    /// Parses and validates a request body against the model table.
    public static func parse(body: [UInt8], headers: HTTPHeaders, models: SparkModelTable, defaultModel: String) throws(APIError) -> ChatInput {
        try checkContentType(headers)
        guard !body.isEmpty else { throw invalid("body", "the request body is empty; send a JSON object with \"messages\" or \"prompt\"", code: "invalid_json") }
        let object: JSONValue
        do {
            object = try JSONScanner.parse(body)
        } catch {
            throw invalid("body", "the body is not valid JSON", code: "invalid_json")
        }
        guard object.isObject else { throw invalid("body", "the body must be a JSON object", code: "invalid_json") }

        let modelName: String
        if let value = present(object["model"]) {
            guard let name = value.stringValue, !name.isEmpty else { throw invalid("model", "\"model\" must be a non-empty string") }
            modelName = name
        } else {
            modelName = defaultModel
        }
        guard let model = models.model(named: modelName) else {
            let known = models.models.map(\.name).joined(separator: ", ")
            throw APIError(status: .badRequest, type: "invalid_request_error", code: "unknown_model",
                           message: "unknown model '\(modelName.prefix(100))'; available: \(known)")
        }

        let messages = try parseMessages(object, model: model)
        var input = ChatInput(messages: messages, model: model, uid: nil, temperature: nil, maxTokens: nil, topK: nil, functions: [])

        if let value = present(object["uid"]) {
            guard let uid = value.stringValue else { throw apiError(for: .emptyUID, model: model) }
            try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkUID(uid) }
            input.uid = uid
        }
        if let value = present(object["temperature"]) {
            guard let number = number(value) else { throw apiError(for: .temperatureOutOfRange(.nan, allowed: model.temperatureRange), model: model) }
            try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkTemperature(number, for: model) }
            input.temperature = number
        }
        if let value = present(object["max_tokens"]) {
            guard let integer = integer(value) else { throw apiError(for: .maxTokensOutOfRange(0, limit: model.maxTokensLimit), model: model) }
            try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkMaxTokens(integer, for: model) }
            input.maxTokens = integer
        }
        if let value = present(object["top_k"]) {
            guard let integer = integer(value) else { throw apiError(for: .topKOutOfRange(0), model: model) }
            try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkTopK(integer) }
            input.topK = integer
        }
        if let value = present(object["functions"]) {
            input.functions = try parseFunctions(value, in: body, model: model)
        }
        return input
    }

    private static func parseMessages(_ object: JSONValue, model: SparkModel) throws(APIError) -> [SparkChatMessage] {
        let prompt = present(object["prompt"])
        let list = present(object["messages"])
        if prompt != nil && list != nil {
            throw invalid("prompt", "send either \"prompt\" or \"messages\", not both")
        }
        if let prompt {
            let notText = invalid("prompt", "\"prompt\" must be a non-empty string")
            guard let text = prompt.stringValue else { throw notText }
            do throws(SparkRequestRuleViolation) {
                try SparkRequestRules.client.checkContent(text, at: 0)
            } catch {
                throw notText
            }
            return [SparkChatMessage(role: .user, content: text)]
        }
        guard let list else {
            throw invalid("messages", "\"messages\" is required (or the \"prompt\" shorthand)", code: "missing_field")
        }
        guard let items = list.arrayValue else { throw apiError(for: .noMessages, model: model) }
        try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkMessageCount(items.count) }
        var messages: [SparkChatMessage] = []
        for (index, item) in items.enumerated() {
            let field = "messages[\(index)]"
            guard item.isObject else { throw invalid(field, "\(field) must be an object with \"role\" and \"content\"") }
            let message = item
            guard let roleText = message["role"]?.stringValue else { throw invalid("\(field).role", "\(field).role is required") }
            let role = SparkChatMessage.Role(rawValue: roleText)
            try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkRole(role, at: index) }
            guard let content = message["content"]?.stringValue else {
                throw invalid("\(field).content", "\(field).content must be a string")
            }
            try check(model) { rules throws(SparkRequestRuleViolation) in
                try rules.checkContent(content, at: index)
                try rules.checkPosition(role, at: index)
            }
            messages.append(SparkChatMessage(role: role, content: content))
        }
        try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkLastMessage(messages) }
        return messages
    }

    /// `body` is the request the value was parsed from: a function's `parameters` schema is
    /// forwarded as its own bytes, compacted, never re-encoded.
    private static func parseFunctions(_ value: JSONValue, in body: [UInt8], model: SparkModel) throws(APIError) -> [SparkFunction] {
        guard let items = value.arrayValue else { throw invalid("functions", "\"functions\" must be an array") }
        try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkFunctionSupport(count: items.count, for: model) }
        var functions: [SparkFunction] = []
        for (index, item) in items.enumerated() {
            let field = "functions[\(index)]"
            let function = item
            guard function.isObject, let name = function["name"]?.stringValue else {
                throw apiError(for: .emptyFunctionName(index: index), model: model)
            }
            try check(model) { rules throws(SparkRequestRuleViolation) in try rules.checkFunctionName(name, at: index) }
            let description = function["description"]?.stringValue ?? ""
            var parameters: [UInt8] = Array("{}".utf8)
            if let schema = function.member("parameters"), !schema.value.isNull {
                guard schema.value.isObject else {
                    throw invalid("\(field).parameters", "\(field).parameters must be a JSON Schema object")
                }
                parameters = JSONScanner.compact(body[schema.valueRange])
            }
            functions.append(SparkFunction(name: name, description: description, parametersJSON: parameters))
        }
        return functions
    }

    /// The value unless it is absent or JSON `null` (both mean "not given").
    static func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    static func number(_ value: JSONValue) -> Double? {
        guard let double = value.doubleValue else { return nil }
        return double.isFinite ? double : nil
    }

    static func integer(_ value: JSONValue) -> Int? {
        guard let double = number(value), double.rounded() == double, abs(double) < 1e15 else { return nil }
        return Int(double)
    }

    /// Runs Spark's value rules with the `client` profile; a violation is the relay's `400`.
    private static func check(_ model: SparkModel, _ rules: (SparkRequestRules) throws(SparkRequestRuleViolation) -> Void) throws(APIError) {
        do {
            try rules(.client)
        } catch {
            throw apiError(for: error, model: model)
        }
    }

    /// The relay's `400 invalid_field` for a broken rule, named by the body's field. A value of the
    /// wrong JSON type for a field gets the same message as one out of its range.
    private static func apiError(for violation: SparkRequestRuleViolation, model: SparkModel) -> APIError {
        let topK = SparkRequestRules.topKRange
        return switch violation {
        case .noMessages:
            invalid("messages", "\"messages\" must be a non-empty array")
        case .undocumentedRole(let index, let role):
            invalid("messages[\(index)].role", "messages[\(index)].role must be system, user or assistant, got '\(role.rawValue.prefix(40))'")
        case .blankContent(let index):
            invalid("messages[\(index)].content", "messages[\(index)].content must not be empty")
        case .systemNotFirst(let index):
            invalid("messages[\(index)].role", "a system message must come first (Spark accepts it only as messages[0])")
        case .lastNotFromUser(let index):
            invalid("messages[\(index)].role", "the last message must have role user (the question to answer)")
        case .temperatureOutOfRange(_, let allowed):
            invalid("temperature", "\"temperature\" must be a number in (\(allowed.lowerBound), \(allowed.upperBound)] for model \(model.name)")
        case .maxTokensOutOfRange(_, let limit):
            invalid("max_tokens", "\"max_tokens\" must be an integer from 1 to \(limit) for model \(model.name)")
        case .topKOutOfRange:
            invalid("top_k", "\"top_k\" must be an integer from \(topK.lowerBound) to \(topK.upperBound)")
        case .emptyUID, .uidTooLong:
            invalid("uid", "\"uid\" must be a string of 1 to \(SparkChatRequest.maxUIDLength) characters")
        case .functionsUnsupported(let name):
            invalid("functions", "model \(name) does not support function calling")
        case .emptyFunctionName(let index):
            invalid("functions[\(index)].name", "functions[\(index)].name must be a non-empty string")
        case .functionParametersNotAnObject(let index):
            invalid("functions[\(index)].parameters", "functions[\(index)].parameters must be a JSON Schema object")
        }
    }

    static func invalid(_ field: String, _ message: String, code: String = "invalid_field") -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", code: code, message: message)
    }
}
