import JSON

/// A rejected WebSocket upgrade, as Spark's gateway answers it: an HTTP status and a JSON body
/// `{"message":"…"}` (SparkCodec/README.md §3.4; served with `Content-Type: text/plain; charset=utf-8`).
public struct SparkAuthFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401 or 403.
    public var httpStatus: Int
    /// The gateway's message, verbatim.
    public var message: String

    /// Creates a failure.
    public init(httpStatus: Int, message: String) {
        self.httpStatus = httpStatus
        self.message = message
    }

    /// `{"message":"…"}`, exactly as Spark sends it.
    public var jsonBody: String {
        var writer = JSONWriter(capacity: message.utf8.count + 16)
        writer.beginObject()
        writer.key("message")
        writer.string(message)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The content type iFlytek's gateway uses for these bodies.
    public static let contentType = "text/plain; charset=utf-8"

    /// 401: no `authorization` parameter.
    public static let unauthorized = SparkAuthFailure(httpStatus: 401, message: "Unauthorized")
    /// 401: authorization unparseable, a field missing, or the API key unknown.
    public static let signatureCannotBeVerified = SparkAuthFailure(httpStatus: 401, message: "HMAC signature cannot be verified")
    /// 401: signature differs from the one rebuilt from host, date and request line.
    public static let signatureDoesNotMatch = SparkAuthFailure(httpStatus: 401, message: "HMAC signature does not match")
    /// 403: date missing, unparseable or more than the allowed skew away from the server clock.
    public static let invalidDate = SparkAuthFailure(
        httpStatus: 403,
        message: "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication")
    /// 403: caller not on the console's IP allow-list.
    public static let ipNotAllowed = SparkAuthFailure(httpStatus: 403, message: "Your IP address is not allowed")

    /// `401 HMAC signature does not match` style summary.
    public var description: String { "\(httpStatus) \(message)" }
}
