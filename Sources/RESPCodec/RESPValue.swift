/// One RESP3 value as a server sends it (RESP3 spec, "RESP3 types"), and as `RESPEncoder` writes it.
///
/// - RESP2 nulls (`$-1`, `*-1`) and RESP3's `_` all decode to `.null`; the encoder writes `_`.
/// - Simple strings, simple errors and blob errors are text: their bytes are decoded as UTF-8 with
///   invalid sequences replaced by U+FFFD (Redis sends ASCII there), so a decoded value always
///   re-encodes. Blob strings and verbatim text stay raw bytes (binary safe).
/// - Doubles compare NaN equal to NaN, so `decode(encode(v)) == v` holds for every value.
public enum RESPValue: Sendable, CustomStringConvertible {
    /// `+OK\r\n`: a short text without CR or LF.
    case simpleString(String)
    /// `-ERR message\r\n`: the first word is the error code.
    case error(String)
    /// `:42\r\n`: a signed 64-bit number.
    case integer(Int64)
    /// `$5\r\nhello\r\n`: binary-safe bytes.
    case bulkString([UInt8])
    /// `_\r\n`, or RESP2's `$-1\r\n` / `*-1\r\n`.
    case null
    /// `#t\r\n` / `#f\r\n`.
    case boolean(Bool)
    /// `,1.5\r\n`, `,inf\r\n`, `,-inf\r\n`, `,nan\r\n`.
    case double(Double)
    /// `(3492890328409238509324850943850943825024385\r\n`: digits with an optional sign, kept as text.
    case bigNumber(String)
    /// `!21\r\nSYNTAX invalid syntax\r\n`: a binary-safe error.
    case bulkError(String)
    /// `=15\r\ntxt:Some string\r\n`: text to show as is, with its three-byte format (`txt`, `mkd`).
    case verbatimString(format: String, text: [UInt8])
    /// `*N\r\n` followed by N values.
    case array([RESPValue])
    /// `%N\r\n` followed by N key/value pairs, in wire order (keys may repeat; any type may be a key).
    case map([RESPPair])
    /// `~N\r\n` followed by N values, in wire order (duplicates kept).
    case set([RESPValue])
    /// `>N\r\n`: out-of-band data (pub/sub, client tracking), only ever at the top level.
    case push([RESPValue])
    /// `|N\r\n` pairs, then the value they describe. Only produced by a decoder in
    /// `.attach` mode; `.skip` drops the attributes and returns the bare value.
    indirect case attributed([RESPPair], RESPValue)

    /// A short rendering for logs and test failures: type and size, never the payload bytes (a reply
    /// can carry user data or secrets).
    public var description: String {
        switch self {
        case .simpleString: "simple string"
        case .error(let message): "error \(message.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "")"
        case .integer(let value): "integer \(value)"
        case .bulkString(let bytes): "bulk string (\(bytes.count) bytes)"
        case .null: "null"
        case .boolean(let value): "boolean \(value)"
        case .double(let value): "double \(value)"
        case .bigNumber: "big number"
        case .bulkError(let message): "bulk error \(message.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "")"
        case .verbatimString(let format, let text): "verbatim \(format) (\(text.count) bytes)"
        case .array(let values): "array (\(values.count))"
        case .map(let pairs): "map (\(pairs.count))"
        case .set(let values): "set (\(values.count))"
        case .push(let values): "push (\(values.count))"
        case .attributed(let pairs, let value): "attributed (\(pairs.count)) \(value)"
        }
    }
}

extension RESPValue: Equatable {
    /// Structural equality; NaN doubles are equal to each other (unlike `Double.==`).
    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let a), .simpleString(let b)): a == b
        case (.error(let a), .error(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.bulkString(let a), .bulkString(let b)): a == b
        case (.null, .null): true
        case (.boolean(let a), .boolean(let b)): a == b
        case (.double(let a), .double(let b)): a == b || (a.isNaN && b.isNaN)
        case (.bigNumber(let a), .bigNumber(let b)): a == b
        case (.bulkError(let a), .bulkError(let b)): a == b
        case (.verbatimString(let f1, let t1), .verbatimString(let f2, let t2)): f1 == f2 && t1 == t2
        case (.array(let a), .array(let b)): a == b
        case (.map(let a), .map(let b)): a == b
        case (.set(let a), .set(let b)): a == b
        case (.push(let a), .push(let b)): a == b
        case (.attributed(let p1, let v1), .attributed(let p2, let v2)): p1 == p2 && v1 == v2
        default: false
        }
    }
}
