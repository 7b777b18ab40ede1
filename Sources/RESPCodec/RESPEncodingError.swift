/// A `RESPValue` that cannot be written to the wire as it is.
public struct RESPEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the value.
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// A simple string or simple error containing CR or LF.
        case lineBreakInSimpleText
        /// A big number that is not an optional sign followed by one or more digits.
        case invalidBigNumber
        /// A verbatim format that is not exactly three printable ASCII bytes other than `:`.
        case invalidVerbatimFormat
        /// A push anywhere but at the top level (RESP3: "always at the top level").
        case nestedPush
    }

    /// What is wrong.
    public var kind: Kind
    /// Human-readable detail (no payload bytes).
    public var message: String

    /// Creates an error of `kind` with a detail message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `"invalidBigNumber: …"`.
    public var description: String { "\(kind): \(message)" }
}
