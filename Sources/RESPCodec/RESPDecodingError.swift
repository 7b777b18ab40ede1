/// Why bytes from a server are not valid RESP3 (or exceed a `RESPDecoderLimits` bound). The
/// connection's byte stream cannot be resynchronised after any of these, so the connection must
/// be closed.
public struct RESPDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; tests and callers match on this.
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// A first byte that names no RESP3 type.
        case unknownType
        /// Streamed strings or aggregates (`$?`, `*?`, `;`, `.`): Redis never sends them, this
        /// decoder does not support them.
        case streamedTypeUnsupported
        /// A CR not followed by LF, an LF without CR, or a blob body not followed by CRLF.
        case invalidLineEnding
        /// A line longer than `maxLineLength`.
        case lineTooLong
        /// A blob or aggregate length that is not decimal digits (or `-1` where a null is allowed).
        case invalidLength
        /// A blob longer than `maxBulkLength`.
        case bulkTooLong
        /// An aggregate with more than `maxAggregateCount` elements (pairs for maps).
        case aggregateTooLarge
        /// Aggregates nested deeper than `maxDepth`.
        case nestingTooDeep
        /// One reply spanning more than `maxReplyBytes` wire bytes.
        case replyTooLarge
        /// A number that is not an optional sign and digits.
        case invalidInteger
        /// A number outside the signed 64-bit range.
        case integerOutOfRange
        /// A double that fits neither the RESP3 grammar nor `inf`/`nan`.
        case invalidDouble
        /// A boolean other than `#t` / `#f`.
        case invalidBoolean
        /// A big number that is not an optional sign and digits.
        case invalidBigNumber
        /// A null with content after `_`.
        case invalidNull
        /// A verbatim string shorter than 4 bytes or without a `xxx:` format prefix.
        case invalidVerbatim
        /// A push inside another value (RESP3: push data is always at the top level).
        case nestedPush
    }

    /// What went wrong.
    public var kind: Kind
    /// Human-readable detail (it never quotes payload bytes, so it is safe to log).
    public var message: String

    /// Creates an error of `kind` with a detail message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `"invalidLength: …"`.
    public var description: String { "\(kind): \(message)" }
}
