/// A chat request value that breaks one of Spark's rules (see `SparkRequestRules`).
///
/// The cases carry what each caller needs to word its own error (the relay's `400`, OpenAI's error
/// object, SparkKit's `invalidParameter`, the simulator's Spark error code); `description` is a
/// neutral one-line wording.
public enum SparkRequestRuleViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message list is empty.
    case noMessages
    /// `messages[index]` has a role Spark does not document (only `system`, `user`, `assistant`).
    case undocumentedRole(index: Int, role: SparkChatMessage.Role)
    /// `messages[index]` has empty or white-space-only content.
    case blankContent(index: Int)
    /// A `system` message at `index`, which is not 0.
    case systemNotFirst(index: Int)
    /// The last message, at `index`, is not the user's question.
    case lastNotFromUser(index: Int)
    /// `temperature` is outside `(allowed.lowerBound, allowed.upperBound]`.
    case temperatureOutOfRange(Double, allowed: ClosedRange<Double>)
    /// `max_tokens` is outside `[1, limit]`.
    case maxTokensOutOfRange(Int, limit: Int)
    /// `top_k` is outside `SparkRequestRules.topKRange`.
    case topKOutOfRange(Int)
    /// `uid` is the empty string.
    case emptyUID
    /// `uid` has more than `SparkChatRequest.maxUIDLength` Unicode scalars (`length` of them).
    case uidTooLong(length: Int)
    /// Functions were given for a model without function calling.
    case functionsUnsupported(model: String)
    /// `functions[index]` has an empty name.
    case emptyFunctionName(index: Int)
    /// `functions[index]`'s parameters are not a JSON object (a JSON Schema).
    case functionParametersNotAnObject(index: Int)

    /// One line naming the field and the rule.
    public var description: String {
        switch self {
        case .noMessages:
            "messages: at least one message is required"
        case .undocumentedRole(let index, let role):
            "messages[\(index)].role: must be system, user or assistant, got '\(role.rawValue.prefix(40))'"
        case .blankContent(let index):
            "messages[\(index)].content: must not be empty"
        case .systemNotFirst(let index):
            "messages[\(index)].role: a system message must come first"
        case .lastNotFromUser(let index):
            "messages[\(index)].role: the last message must have role user"
        case .temperatureOutOfRange(let value, let allowed):
            "temperature: must be in (\(allowed.lowerBound), \(allowed.upperBound)], got \(value)"
        case .maxTokensOutOfRange(let value, let limit):
            "max_tokens: must be from 1 to \(limit), got \(value)"
        case .topKOutOfRange(let value):
            "top_k: must be from \(SparkRequestRules.topKRange.lowerBound) to \(SparkRequestRules.topKRange.upperBound), got \(value)"
        case .emptyUID:
            "uid: must not be empty"
        case .uidTooLong(let length):
            "uid: at most \(SparkChatRequest.maxUIDLength) characters, got \(length)"
        case .functionsUnsupported(let model):
            "functions: model \(model) does not support function calling"
        case .emptyFunctionName(let index):
            "functions[\(index)].name: must not be empty"
        case .functionParametersNotAnObject(let index):
            "functions[\(index)].parameters: must be a JSON Schema object"
        }
    }
}
