/// An event the SSE encoder refuses because a field would break the stream's line structure.
public struct SSEEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which field is invalid.
    public enum Kind: String, Sendable, Equatable {
        /// `id` contains CR, LF or NUL (NUL makes clients ignore the id).
        case invalidID
        /// `event` contains CR or LF.
        case invalidEventType
        /// `retry` is negative.
        case invalidRetry
    }

    /// Which field is invalid.
    public var kind: Kind

    /// An error of `kind`.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// A readable rendering for logs and test output.

    public var description: String { "SSE encoding error: \(kind.rawValue)" }
}
