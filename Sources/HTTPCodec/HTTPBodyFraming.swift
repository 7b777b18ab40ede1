/// How a response body is delimited on the wire (RFC 9112 §6).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No framing header: 1xx, 204, 304, or a HEAD response the caller doesn't describe.
    case none
    /// `Content-Length: n`. Also right for HEAD responses: write the head, skip the body.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked` (HTTP/1.1 only).
    case chunked
    /// The body ends when the connection closes; always sent with `Connection: close`.
    case closeDelimited
}
