/// Why a request (or response) could not be parsed, and the status a server should answer with.
///
/// `message` is specific and safe to show to a client: it quotes at most ~48 bytes of input,
/// escaped.
public struct HTTPParserError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One case per distinct failure.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case invalidRequestLine
        case invalidStatusLine
        case invalidMethod
        case invalidTarget
        case uriTooLong
        case invalidVersion
        case unsupportedVersion
        case tooManyLeadingEmptyLines
        case invalidHeaderLine
        case invalidHeaderName
        case invalidHeaderValue
        case obsoleteLineFolding
        case whitespaceBeforeColon
        case bareCarriageReturn
        case bareLineFeed
        case nulByte
        case missingHost
        case duplicateHost
        case invalidHost
        case headersTooLarge
        case tooManyHeaders
        case contentLengthWithTransferEncoding
        case duplicateContentLength
        case invalidContentLength
        case invalidTransferEncoding
        case unsupportedTransferCoding
        case transferEncodingInHTTP10
        case invalidChunkSize
        case invalidChunkExtension
        case chunkLineTooLong
        case invalidChunkTerminator
        case bodyTooLarge
        case truncatedMessage

        /// The response status for this failure.
        public var status: HTTPStatus {
            switch self {
            case .uriTooLong: .uriTooLong
            case .unsupportedVersion: .httpVersionNotSupported
            case .headersTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
            case .unsupportedTransferCoding: .notImplemented
            case .bodyTooLarge: .payloadTooLarge
            default: .badRequest
            }
        }
    }

    /// Which rule was broken.
    public var kind: Kind
    /// The status to answer with (400 / 413 / 414 / 431 / 501 / 505).
    public var status: HTTPStatus
    /// Human-readable, client-safe explanation.
    public var message: String

    /// An error whose status follows from `kind`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.status = kind.status
        self.message = message
    }

    /// A readable rendering for logs and test output.

    public var description: String { "\(status.code) \(kind.rawValue): \(message)" }
}
