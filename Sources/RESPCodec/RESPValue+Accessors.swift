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

    /// The fields of a hash or stream entry (`HGETALL`, `XRANGE`): a RESP2 array of names and values
    /// in turn, or a RESP3 map, as field name → value bytes; `nil` for other types, an odd count, or a
    /// name or value that is not a string.
    public var fields: [String: [UInt8]]? {
        var table: [String: [UInt8]] = [:]
        switch self {
        case .array(let flat):
            guard flat.count % 2 == 0 else { return nil }
            for index in stride(from: 0, to: flat.count, by: 2) {
                guard let name = flat[index].string, let value = flat[index + 1].bytes else { return nil }
                table[name] = value
            }
        case .map(let pairs):
            for pair in pairs {
                guard let name = pair.key.string, let value = pair.value.bytes else { return nil }
                table[name] = value
            }
        case .attributed(_, let value):
            return value.fields
        default:
            return nil
        }
        return table
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
