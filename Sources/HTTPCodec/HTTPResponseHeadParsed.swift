/// A parsed status line and header section.
public struct HTTPResponseHeadParsed: Sendable, Equatable {
    /// HTTP/1.0 or HTTP/1.1.
    public var version: HTTPVersion
    /// The three-digit status code.
    public var status: Int
    /// The reason phrase (may be empty).
    public var reason: String
    /// Header fields in wire order.
    public var headers: HTTPHeaders

    /// A parsed head (also handy for building expectations in tests).
    public init(version: HTTPVersion, status: Int, reason: String, headers: HTTPHeaders) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }
}

/// One streaming event of a response: the head, a piece of body, or the end of the message.
public enum HTTPResponsePart: Sendable, Equatable {
    case head(HTTPResponseHeadParsed)
    case body([UInt8])
    case end
}
