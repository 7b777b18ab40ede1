import JSON

extension ChatRequest {
    /// Checks the request against `models` the way Spark (and the relay) would, and builds the
    /// request frame for app `appID`.
    ///
    /// - Throws: ``SparkClientError/unknownModel(name:available:)`` or
    ///   ``SparkClientError/invalidParameter(name:reason:)``.
    func validated(against models: SparkModelTable, appID: String) throws(SparkClientError) -> (SparkModel, SparkChatRequest) {
        guard let model = models.model(named: self.model) else {
            throw .unknownModel(name: self.model, available: models.models.map(\.name))
        }
        try validateMessages()
        if let temperature, !model.acceptsTemperature(temperature) {
            throw .invalidParameter(name: "temperature", reason: "must be in (\(model.temperatureRange.lowerBound), \(model.temperatureRange.upperBound)] for model \(model.name), got \(temperature)")
        }
        if let maxTokens, !model.acceptsMaxTokens(maxTokens) {
            throw .invalidParameter(name: "maxTokens", reason: "must be from 1 to \(model.maxTokensLimit) for model \(model.name), got \(maxTokens)")
        }
        if let topK, !(1...6).contains(topK) {
            throw .invalidParameter(name: "topK", reason: "must be from 1 to 6, got \(topK)")
        }
        if let uid, uid.isEmpty || uid.unicodeScalars.count > SparkChatRequest.maxUIDLength {
            throw .invalidParameter(name: "uid", reason: "must be 1 to \(SparkChatRequest.maxUIDLength) characters")
        }
        if !functions.isEmpty && !model.supportsFunctions {
            throw .invalidParameter(name: "functions", reason: "model \(model.name) does not support function calling")
        }
        for (index, function) in functions.enumerated() {
            if function.name.isEmpty {
                throw .invalidParameter(name: "functions[\(index)].name", reason: "must not be empty")
            }
            if !function.parametersJSON.isEmpty, (try? JSONScanner.parse(function.parametersJSON))?.isObject != true {
                throw .invalidParameter(name: "functions[\(index)].parameters", reason: "must be a JSON Schema object")
            }
        }
        let request = SparkChatRequest(appID: appID, uid: uid, domain: model.domain, temperature: temperature,
                                       maxTokens: maxTokens, topK: topK, messages: messages, functions: functions)
        return (model, request)
    }

    private func validateMessages() throws(SparkClientError) {
        guard !messages.isEmpty else {
            throw .invalidParameter(name: "messages", reason: "at least one message (the user's question) is required")
        }
        for (index, message) in messages.enumerated() {
            guard SparkChatMessage.Role.documented.contains(message.role) else {
                throw .invalidParameter(name: "messages[\(index)].role", reason: "must be system, user or assistant, got '\(message.role.rawValue.prefix(40))'")
            }
            guard message.content.contains(where: { !$0.isWhitespace }) else {
                throw .invalidParameter(name: "messages[\(index)].content", reason: "must not be empty")
            }
            if message.role == .system && index != 0 {
                throw .invalidParameter(name: "messages[\(index)].role", reason: "a system message must come first")
            }
        }
        guard messages.last?.role == .user else {
            throw .invalidParameter(name: "messages[\(messages.count - 1)].role", reason: "the last message must have role user (the question to answer)")
        }
    }
}
