import JSON

/// Spark's rules for the values of a chat request — the conversation's roles and their order, message
/// contents, `temperature`, `max_tokens`, `top_k`, `uid` and functions — written once, over values
/// rather than any wire format.
///
/// Each front end decodes its own format, calls these checks, and words a `SparkRequestRuleViolation`
/// its own way: `/chat` and `/v1` answer `400`, SparkKit throws `invalidParameter`, the simulator
/// answers the Spark error code. The checks are separate so a decoder can run them in the order it
/// reads fields (which decides the error reported for a request with several problems);
/// `validate(messages:temperature:maxTokens:topK:uid:functions:model:)` runs them all.
///
/// Two profiles: `client` (what the relay and SparkKit refuse before sending anything) and `gateway`
/// (only what Spark's gateway is known to refuse; what the simulator enforces).
public struct SparkRequestRules: Sendable, Equatable {
    /// Reject a message whose content is empty or only white space.
    public var rejectsBlankContent: Bool
    /// Reject a conversation whose last message is not from the user.
    public var requiresUserLast: Bool
    /// Reject an empty `uid` (an absent one is always fine).
    public var rejectsEmptyUID: Bool

    /// Creates a profile.
    public init(rejectsBlankContent: Bool, requiresUserLast: Bool, rejectsEmptyUID: Bool) {
        self.rejectsBlankContent = rejectsBlankContent
        self.requiresUserLast = requiresUserLast
        self.rejectsEmptyUID = rejectsEmptyUID
    }

    /// Every rule: what the relay and SparkKit check before a request leaves.
    public static let client = SparkRequestRules(rejectsBlankContent: true, requiresUserLast: true, rejectsEmptyUID: true)

    /// The rules Spark's gateway itself enforces, as the simulator does: roles and their order and the
    /// parameter ranges, but not blank contents, an empty `uid`, or who speaks last.
    public static let gateway = SparkRequestRules(rejectsBlankContent: false, requiresUserLast: false, rejectsEmptyUID: false)

    /// Allowed `top_k`.
    public static let topKRange: ClosedRange<Int> = 1...6

    /// `temperature` when no model is known: the widest model's, (0, 2] (the lower bound is open).
    public static let modelFreeTemperatureRange: ClosedRange<Double> = 0...2

    /// Upper bound of `max_tokens` when no model is known: the widest model's.
    public static let modelFreeMaxTokensLimit = 32768

    // MARK: - All at once

    /// Runs every check, in this order: the messages, `temperature`, `max_tokens`, `top_k`, `uid`,
    /// then the functions. `nil` parameters are not checked.
    public func validate(messages: [SparkChatMessage], temperature: Double? = nil, maxTokens: Int? = nil,
                         topK: Int? = nil, uid: String? = nil, functions: [SparkFunction] = [],
                         model: SparkModel) throws(SparkRequestRuleViolation) {
        try checkMessages(messages)
        if let temperature { try checkTemperature(temperature, for: model) }
        if let maxTokens { try checkMaxTokens(maxTokens, for: model) }
        if let topK { try checkTopK(topK) }
        if let uid { try checkUID(uid) }
        try checkFunctions(functions, for: model)
    }

    // MARK: - Messages

    /// The whole conversation: `checkMessageCount`, `checkMessage` on each message in order, then
    /// `checkLastMessage`.
    public func checkMessages(_ messages: [SparkChatMessage]) throws(SparkRequestRuleViolation) {
        try checkMessageCount(messages.count)
        for (index, message) in messages.enumerated() {
            try checkMessage(message, at: index)
        }
        try checkLastMessage(messages)
    }

    /// At least one message.
    public func checkMessageCount(_ count: Int) throws(SparkRequestRuleViolation) {
        guard count > 0 else { throw .noMessages }
    }

    /// One message at `index`: `checkRole`, `checkContent`, then `checkPosition`.
    public func checkMessage(_ message: SparkChatMessage, at index: Int) throws(SparkRequestRuleViolation) {
        try checkRole(message.role, at: index)
        try checkContent(message.content, at: index)
        try checkPosition(message.role, at: index)
    }

    /// The role is one Spark documents: `system`, `user` or `assistant`.
    public func checkRole(_ role: SparkChatMessage.Role, at index: Int) throws(SparkRequestRuleViolation) {
        guard SparkChatMessage.Role.documented.contains(role) else { throw .undocumentedRole(index: index, role: role) }
    }

    /// The content holds something other than white space (when the profile rejects blank content).
    public func checkContent(_ content: String, at index: Int) throws(SparkRequestRuleViolation) {
        guard rejectsBlankContent, !content.contains(where: { !$0.isWhitespace }) else { return }
        throw .blankContent(index: index)
    }

    /// A `system` message only as the first message.
    public func checkPosition(_ role: SparkChatMessage.Role, at index: Int) throws(SparkRequestRuleViolation) {
        guard role != .system || index == 0 else { throw .systemNotFirst(index: index) }
    }

    /// The conversation ends with the user's question (when the profile requires it; an empty
    /// conversation then is `noMessages`).
    public func checkLastMessage(_ messages: [SparkChatMessage]) throws(SparkRequestRuleViolation) {
        guard requiresUserLast else { return }
        guard let last = messages.last else { throw .noMessages }
        guard last.role == .user else { throw .lastNotFromUser(index: messages.count - 1) }
    }

    // MARK: - Parameters

    /// `temperature` in the model's (lower, upper] (the lower bound is open), or in
    /// `modelFreeTemperatureRange` without a model. NaN is never accepted.
    public func checkTemperature(_ value: Double, for model: SparkModel?) throws(SparkRequestRuleViolation) {
        let range = model?.temperatureRange ?? Self.modelFreeTemperatureRange
        guard value > range.lowerBound && value <= range.upperBound else {
            throw .temperatureOutOfRange(value, allowed: range)
        }
    }

    /// `max_tokens` in [1, the model's limit], or [1, `modelFreeMaxTokensLimit`] without a model.
    public func checkMaxTokens(_ value: Int, for model: SparkModel?) throws(SparkRequestRuleViolation) {
        let limit = model?.maxTokensLimit ?? Self.modelFreeMaxTokensLimit
        guard value >= 1 && value <= limit else { throw .maxTokensOutOfRange(value, limit: limit) }
    }

    /// `top_k` in `topKRange`.
    public func checkTopK(_ value: Int) throws(SparkRequestRuleViolation) {
        guard Self.topKRange.contains(value) else { throw .topKOutOfRange(value) }
    }

    /// `uid` of at most `SparkChatRequest.maxUIDLength` Unicode scalars (Spark's unit), and not empty
    /// when the profile says so.
    public func checkUID(_ uid: String) throws(SparkRequestRuleViolation) {
        if rejectsEmptyUID && uid.isEmpty { throw .emptyUID }
        let length = uid.unicodeScalars.count
        guard length <= SparkChatRequest.maxUIDLength else { throw .uidTooLong(length: length) }
    }

    /// The value Spark accepts nearest to `value` for `model`: `value` clamped into the model's
    /// temperature range, 0.01 above its open lower bound at least.
    public static func nearestTemperature(to value: Double, for model: SparkModel) -> Double {
        let range = model.temperatureRange
        return min(max(value, range.lowerBound + 0.01), range.upperBound)
    }

    // MARK: - Functions

    /// `checkFunctionSupport`, then `checkFunction` on each function in order.
    public func checkFunctions(_ functions: [SparkFunction], for model: SparkModel) throws(SparkRequestRuleViolation) {
        try checkFunctionSupport(count: functions.count, for: model)
        for (index, function) in functions.enumerated() {
            try checkFunction(function, at: index)
        }
    }

    /// No functions for a model without function calling.
    public func checkFunctionSupport(count: Int, for model: SparkModel) throws(SparkRequestRuleViolation) {
        guard count == 0 || model.supportsFunctions else { throw .functionsUnsupported(model: model.name) }
    }

    /// One function: `checkFunctionName`, then its parameters are empty (meaning `{}`) or one JSON object.
    public func checkFunction(_ function: SparkFunction, at index: Int) throws(SparkRequestRuleViolation) {
        try checkFunctionName(function.name, at: index)
        if !function.parametersJSON.isEmpty, (try? JSONScanner.parse(function.parametersJSON))?.isObject != true {
            throw .functionParametersNotAnObject(index: index)
        }
    }

    /// A function's name is not empty.
    public func checkFunctionName(_ name: String, at index: Int) throws(SparkRequestRuleViolation) {
        guard !name.isEmpty else { throw .emptyFunctionName(index: index) }
    }
}
