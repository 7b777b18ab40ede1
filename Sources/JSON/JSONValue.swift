/// A parsed JSON value (RFC 8259). Numbers keep their source text so integers stay exact; object
/// members keep their order and the byte range of each value in the scanned input, so a caller can
/// forward a member's raw bytes without re-encoding them.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written (RFC 8259 §6 grammar, already validated).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of the member named `key`; with duplicate names the last one wins (RFC 8259 §4
    /// leaves this open; this matches Go's and Foundation's decoders). `nil` if absent or not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The member named `key` including its byte range (last one wins, like the subscript).
    public func member(_ key: String) -> JSONMember? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })
    }

    /// `true` for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The string payload, or `nil` for any other kind.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean payload, or `nil` for any other kind.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number as an `Int` when it is written as an integer (no fraction, no exponent) that fits.
    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }

    /// The number as a `Double` (any number form).
    public var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    /// The elements of an array, or `nil` for any other kind.
    public var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The members of an object, or `nil` for any other kind.
    public var objectMembers: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// `true` for `.object`.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}

/// One `name: value` pair of a JSON object, with the byte range of the value in the scanned input.
public struct JSONMember: Sendable, Equatable {
    /// The decoded member name.
    public var key: String
    /// The parsed value.
    public var value: JSONValue
    /// Where the value's bytes are in the input given to `JSONScanner.parse` (no surrounding whitespace).
    public var valueRange: Range<Int>

    /// Creates a member.
    public init(key: String, value: JSONValue, valueRange: Range<Int>) {
        self.key = key
        self.value = value
        self.valueRange = valueRange
    }
}
