/// Why the simulator rejects a request frame, with the error code Spark would answer in an error frame.
///
/// Codes (SparkCodec/README.md §4.6; which code Spark uses for each case is partly inferred, §7):
/// 10003 not JSON; 10004 schema (missing field, wrong type, not an object, empty message list);
/// 10005 value (out of range, unknown role, `system` not first, domain not this endpoint's, uid too long);
/// 10907 messages over the model's token budget.
public struct SparkChatRequestDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Sendable, Equatable {
        case invalidJSON
        case missingField
        case wrongType
        case emptyMessages
        case invalidRole
        case systemNotFirst
        case outOfRange
        case domainMismatch
        case tooLong
    }

    /// What is wrong.
    public var reason: Reason
    /// Dotted path of the offending field (`parameter.chat.temperature`, `payload.message.text[2].role`).
    public var field: String
    /// The Spark error code for the error frame.
    public var code: Int
    /// The error frame's `header.message`.
    public var message: String

    /// Creates an error; the code follows from the reason.
    public init(_ reason: Reason, field: String, message: String) {
        self.reason = reason
        self.field = field
        self.message = message
        self.code = switch reason {
        case .invalidJSON: 10003
        case .missingField, .wrongType, .emptyMessages: 10004
        case .invalidRole, .systemNotFirst, .outOfRange, .domainMismatch: 10005
        case .tooLong: 10907
        }
    }

    /// `10005 parameter.chat.temperature: …`.
    public var description: String { "\(code) \(field): \(message)" }
}
