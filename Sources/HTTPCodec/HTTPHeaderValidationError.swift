/// A response or request head an encoder refuses to write because it would corrupt the byte stream.
public struct HTTPHeaderValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: String, Sendable, Equatable {
        /// A field name that is not an RFC 9110 token.
        case invalidName
        /// A field value containing CR, LF, NUL or another control character.
        case invalidValue
        /// A reason phrase containing control characters.
        case invalidReasonPhrase
        /// A status code outside 100...999.
        case invalidStatusCode
        /// A negative Content-Length.
        case invalidContentLength
        /// Framing that the status forbids (1xx and 204 carry no body, RFC 9110 §8.6 / §15.3.5).
        case framingNotAllowed
        /// Chunked framing on an HTTP/1.0 response (RFC 9112 §7).
        case chunkedRequiresHTTP11
        /// A request method that is not an RFC 9110 token.
        case invalidMethod
        /// A request target that is not origin-form (`/path?query`, or `*` for OPTIONS) of RFC 3986 characters.
        case invalidRequestTarget
        /// A Host that is empty or contains whitespace, control characters, `/`, `?`, `#` or `@`.
        case invalidHost
    }

    /// What is wrong.
    public var kind: Kind
    /// The offending field name, when there is one (value bytes are never echoed).
    public var name: String?

    /// An error of `kind`, optionally naming the field.
    public init(_ kind: Kind, name: String? = nil) {
        self.kind = kind
        self.name = name
    }

    /// A readable rendering for logs and test output.

    public var description: String {
        if let name { return "\(kind.rawValue) (\(name))" }
        return kind.rawValue
    }
}
