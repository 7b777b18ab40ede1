/// The status line and header fields of a response to encode.
public struct HTTPResponseHead: Sendable, Equatable {
    /// Status code and reason phrase.
    public var status: HTTPStatus
    /// Protocol version written on the status line.
    public var version: HTTPVersion
    /// Header fields. Content-Length, Transfer-Encoding and Connection are owned by the encoder.
    public var headers: HTTPHeaders

    /// A response head; version defaults to HTTP/1.1 (RFC 9110 §2.5: servers send their own version).
    public init(status: HTTPStatus, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.version = version
        self.headers = headers
    }
}
