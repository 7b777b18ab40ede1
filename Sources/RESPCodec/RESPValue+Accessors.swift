extension RESPValue {
    /// The text of a simple string, blob string or verbatim string (blob bytes decoded as UTF-8,
    /// invalid sequences replaced), `nil` for other types.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .verbatimString(_, let text): String(decoding: text, as: UTF8.self)
        case .attributed(_, let value): value.string
        default: nil
        }
    }

    /// The raw bytes of a blob string or verbatim string, or the UTF-8 of a simple string.
    public var bytes: [UInt8]? {
        switch self {
        case .simpleString(let text): Array(text.utf8)
        case .bulkString(let bytes): bytes
        case .verbatimString(_, let text): text
        case .attributed(_, let value): value.bytes
        default: nil
        }
    }

    /// The number of an integer reply, `nil` for other types.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .attributed(_, let value): value.integer
        default: nil
        }
    }

    /// The elements of an array, set or push, `nil` for other types.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): values
        case .attributed(_, let value): value.elements
        default: nil
        }
    }

    /// The message of a simple or blob error (`"ERR unknown command"`), `nil` for other types.
    public var errorMessage: String? {
        switch self {
        case .error(let message), .bulkError(let message): message
        case .attributed(_, let value): value.errorMessage
        default: nil
        }
    }

    /// `true` for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        if case .attributed(_, let value) = self { return value.isNull }
        return false
    }
}
