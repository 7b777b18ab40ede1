import SparkUpstream
import SparkCodec

extension ChatRequest {
    /// Checks the request against `models` with Spark's rules (the `client` profile of
    /// `SparkRequestRules`, as the relay checks), and builds the request frame for app `appID`.
    ///
    /// - Throws: ``SparkClientError/unknownModel(name:available:)`` or
    ///   ``SparkClientError/invalidParameter(name:reason:)``.
    func validated(against models: SparkModelTable) throws(SparkClientError) -> UpstreamChatRequest {
        guard let model = models.model(named: self.model) else {
            throw .unknownModel(name: self.model, available: models.models.map(\.name))
        }
        do throws(SparkRequestRuleViolation) {
            try SparkRequestRules.client.validate(messages: messages, temperature: temperature, maxTokens: maxTokens, topK: topK,
                                                  uid: uid, functions: functions, model: model)
        } catch {
            throw Self.clientError(for: error, model: model)
        }
        return UpstreamChatRequest(model: model, messages: messages, user: uid, temperature: temperature,
                                   maxTokens: maxTokens, topK: topK, functions: functions)
    }

    /// SparkKit's wording of a broken rule: the Swift parameter's name and what is allowed.
    private static func clientError(for violation: SparkRequestRuleViolation, model: SparkModel) -> SparkClientError {
        let topK = SparkRequestRules.topKRange
        return switch violation {
        case .noMessages:
            .invalidParameter(name: "messages", reason: "at least one message (the user's question) is required")
        case .undocumentedRole(let index, let role):
            .invalidParameter(name: "messages[\(index)].role", reason: "must be system, user or assistant, got '\(role.rawValue.prefix(40))'")
        case .blankContent(let index):
            .invalidParameter(name: "messages[\(index)].content", reason: "must not be empty")
        case .systemNotFirst(let index):
            .invalidParameter(name: "messages[\(index)].role", reason: "a system message must come first")
        case .lastNotFromUser(let index):
            .invalidParameter(name: "messages[\(index)].role", reason: "the last message must have role user (the question to answer)")
        case .temperatureOutOfRange(let value, let allowed):
            .invalidParameter(name: "temperature", reason: "must be in (\(allowed.lowerBound), \(allowed.upperBound)] for model \(model.name), got \(value)")
        case .maxTokensOutOfRange(let value, let limit):
            .invalidParameter(name: "maxTokens", reason: "must be from 1 to \(limit) for model \(model.name), got \(value)")
        case .topKOutOfRange(let value):
            .invalidParameter(name: "topK", reason: "must be from \(topK.lowerBound) to \(topK.upperBound), got \(value)")
        case .emptyUID, .uidTooLong:
            .invalidParameter(name: "uid", reason: "must be 1 to \(SparkChatRequest.maxUIDLength) characters")
        case .functionsUnsupported(let name):
            .invalidParameter(name: "functions", reason: "model \(name) does not support function calling")
        case .emptyFunctionName(let index):
            .invalidParameter(name: "functions[\(index)].name", reason: "must not be empty")
        case .functionParametersNotAnObject(let index):
            .invalidParameter(name: "functions[\(index)].parameters", reason: "must be a JSON Schema object")
        }
    }
}
