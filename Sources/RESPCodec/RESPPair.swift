/// One key/value entry of a RESP3 map (`%`) or attribute (`|`).
public struct RESPPair: Sendable, Equatable {
    /// The key; any RESP3 type.
    public var key: RESPValue
    /// The value.
    public var value: RESPValue

    /// Creates an entry.
    public init(_ key: RESPValue, _ value: RESPValue) {
        self.key = key
        self.value = value
    }
}
