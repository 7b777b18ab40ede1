import JSON

/// Reads the error answers of Spark's HTTP API (SparkCodec/README.md §10.4): a body
/// `{"code":N,"message":…,"sid":…}` with a non-zero code, an OpenAI-style
/// `{"error":{"message":…,"type":…,"code":…}}` (`invalid user` for a bad password), or anything else.
public enum SparkHTTPErrorBody {
    /// Longest message kept, in characters.
    public static let maxMessageLength = 300

    /// What `status` and `body` mean. Decided in this order: a non-zero numeric `code` (top level or
    /// in `error`, also as a digit string) is `.spark`; a 401, or a message or error code saying
    /// `invalid user`, is `.unauthorized`; then by status: 403, 404, 429, other 4xx, 5xx; else `.other`.
    /// Never throws: an unreadable body gives its first bytes as the message.
    public static func parse(status: Int, body: [UInt8]) -> SparkHTTPFailure {
        var failure = SparkHTTPFailure(status: status, kind: .other, message: "")
        var errorCodeText: String?
        if let root = try? JSONScanner.parse(body), root.isObject {
            if let error = root["error"], error.isObject {
                let fromError = Self.failure(fromErrorObject: error)
                failure.kind = fromError.kind
                failure.message = fromError.message
                failure.errorType = fromError.errorType
                errorCodeText = error["code"]?.stringValue
            }
            if let code = numericCode(root["code"]), code != 0 {
                failure.kind = .spark(code: code)
            }
            if failure.message.isEmpty, let message = root["message"]?.stringValue {
                failure.message = safeMessage(message)
            }
            failure.sid = root["sid"]?.stringValue.map { safeMessage($0) }
        } else {
            failure.message = safeMessage(String(decoding: body.prefix(maxMessageLength * 4), as: UTF8.self))
        }
        if case .spark = failure.kind { return failure }
        let lowered = failure.message.lowercased()
        if status == 401 || lowered.contains("invalid user") || errorCodeText?.lowercased() == "invalid_user" {
            failure.kind = .unauthorized
        } else {
            failure.kind = switch status {
            case 403: .forbidden
            case 404: .notFound
            case 429: .rateLimited
            case 400..<500: .badRequest
            case 500..<600: .serverError
            default: .other
            }
        }
        if failure.message.isEmpty { failure.message = "HTTP \(status)" }
        return failure
    }

    /// The failure an `error` object describes (status 0): `.spark` with a numeric non-zero code, else `.other`.
    static func failure(fromErrorObject error: JSONValue) -> SparkHTTPFailure {
        var failure = SparkHTTPFailure(status: 0, kind: .other, message: safeMessage(error["message"]?.stringValue ?? ""))
        failure.errorType = error["type"]?.stringValue.map { safeMessage($0) }
        if let code = numericCode(error["code"]), code != 0 { failure.kind = .spark(code: code) }
        return failure
    }

    /// An integer, or a string of 1–9 ASCII digits.
    private static func numericCode(_ value: JSONValue?) -> Int? {
        guard let value else { return nil }
        if let number = value.intValue { return number }
        if let text = value.stringValue, (1...9).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return Int(text)
        }
        return nil
    }

    /// At most `maxMessageLength` characters, control characters as spaces, and the token after any
    /// `Bearer ` replaced by `<redacted>` (a gateway might echo the request's Authorization).
    static func safeMessage(_ text: String) -> String {
        var out = ""
        var count = 0
        var redacting = false
        var scalars = Substring(text).unicodeScalars[...]
        while let scalar = scalars.first, count < maxMessageLength {
            scalars.removeFirst()
            if redacting {
                if scalar.properties.isWhitespace || scalar == "\"" || scalar == "," {
                    redacting = false
                } else {
                    continue
                }
            }
            let clean: Unicode.Scalar = scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar
            out.unicodeScalars.append(clean)
            count += 1
            if clean == " ", out.unicodeScalars.count >= 7, out.lowercased().hasSuffix("bearer ") {
                out += "<redacted>"
                count += 10
                redacting = true
            }
        }
        return out
    }
}
