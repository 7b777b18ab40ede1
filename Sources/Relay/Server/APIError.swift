import HTTPCodec

/// An error answered to a client: status plus the JSON body `{"error":{"type","code","message"}}`
/// (OpenAI's shape, so its SDKs parse it). Relay failures use documented string codes.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPStatus
    /// `invalid_request_error`, `authentication_error`, `not_found_error`, `rate_limit_error`,
    /// `server_error`, `upstream_error` …
    public var type: String
    /// Machine-readable code, such as `not_found` or `body_too_large`.
    public var code: String
    /// A specific, human-readable explanation.
    public var message: String
    /// Extra response headers (`Allow`, `Retry-After`, …).
    public var headers: [(String, String)] = []

    public init(status: HTTPStatus, type: String, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func == (lhs: APIError, rhs: APIError) -> Bool {
        lhs.status == rhs.status && lhs.type == rhs.type && lhs.code == rhs.code && lhs.message == rhs.message
    }

    private struct Body: Encodable {
        struct Inner: Encodable { var type: String; var code: String; var message: String }
        var error: Inner
    }

    /// The JSON body.
    public var body: [UInt8] {
        JSONBody.encode(Body(error: .init(type: type, code: code, message: message)))
    }

    /// The error as a complete response.
    public var response: HTTPResponse {
        var headers = HTTPHeaders(self.headers)
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}

extension APIError {
    public static func notFound(_ path: String) -> APIError {
        APIError(status: .notFound, type: "not_found_error", code: "not_found", message: "no route for \(path.prefix(200))")
    }

    public static func methodNotAllowed(_ method: HTTPMethod, allowed: [HTTPMethod]) -> APIError {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                        message: "method \(method.rawValue) is not allowed here; allowed: \(allow)",
                        headers: [("Allow", allow)])
    }

    public static let requestTimeout = APIError(
        status: .requestTimeout, type: "invalid_request_error", code: "request_timeout",
        message: "the request was not received completely in time")

    public static let overloaded = APIError(
        status: .serviceUnavailable, type: "server_error", code: "too_many_connections",
        message: "the server has too many open connections; retry shortly", headers: [("Retry-After", "1")])

    public static let shuttingDown = APIError(
        status: .serviceUnavailable, type: "server_error", code: "shutting_down",
        message: "the server is shutting down", headers: [("Retry-After", "1")])

    /// Maps a request-parser rejection to its response.
    public init(parserError error: HTTPParserError) {
        let code: String
        switch error.status.code {
        case 413: code = "body_too_large"
        case 414: code = "uri_too_long"
        case 431: code = "headers_too_large"
        case 501: code = "not_implemented"
        case 505: code = "http_version_not_supported"
        default: code = "bad_request"
        }
        self.init(status: error.status, type: "invalid_request_error", code: code, message: error.message)
    }
}
