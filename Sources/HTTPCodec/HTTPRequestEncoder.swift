/// Encodes HTTP/1.1 requests for a client: `METHOD target HTTP/1.1`, `Host`, the caller's fields,
/// `Content-Length`, then the body. The encoder owns Host and framing: caller-supplied `Host`,
/// `Content-Length` and `Transfer-Encoding` fields are dropped. Every name and value is validated
/// before anything is written, so no field can smuggle CR or LF into the byte stream.
public enum HTTPRequestEncoder {
    /// One complete request with a Content-Length-framed body.
    ///
    /// - `target`: origin-form (`/path?query`), or `*` for OPTIONS.
    /// - `host`, `port`: the `Host` field; `port` is appended unless it is `nil` (the scheme's default
    ///   port), and an IPv6 literal is bracketed.
    /// - `Content-Length` is sent when there is a body, or for POST, PUT and PATCH (whose semantics
    ///   anticipate one) even when it is empty (RFC 9110 §8.6).
    public static func encode(method: HTTPMethod, target: String, host: String, port: Int? = nil,
                              headers: [(String, String)] = [], body: [UInt8] = []) throws(HTTPHeaderValidationError) -> [UInt8] {
        guard HTTPSyntax.isToken(method.rawValue.utf8) else { throw HTTPHeaderValidationError(.invalidMethod) }
        guard isOriginFormOrAsterisk(target, method: method) else { throw HTTPHeaderValidationError(.invalidRequestTarget) }
        guard isValidHost(host), port.map({ (0...65535).contains($0) }) ?? true else { throw HTTPHeaderValidationError(.invalidHost) }
        for (name, value) in headers {
            guard HTTPSyntax.isToken(name.utf8) else { throw HTTPHeaderValidationError(.invalidName, name: String(name.prefix(64))) }
            guard !value.utf8.contains(where: HTTPSyntax.isForbiddenInValue) else {
                throw HTTPHeaderValidationError(.invalidValue, name: name)
            }
        }

        var out: [UInt8] = []
        out.reserveCapacity(64 + target.utf8.count + host.utf8.count + headers.count * 32 + body.count)
        out.append(contentsOf: method.rawValue.utf8)
        out.append(HTTPSyntax.sp)
        out.append(contentsOf: target.utf8)
        out.append(HTTPSyntax.sp)
        out.append(contentsOf: HTTPVersion.http1_1.bytes)
        out.append(contentsOf: HTTPSyntax.crlf)

        var authority = host.utf8.contains(HTTPSyntax.colon) ? "[\(host)]" : host
        if let port { authority += ":\(port)" }
        appendField(&out, "Host", authority)
        for (name, value) in headers {
            if HTTPSyntax.equalsIgnoringCase(name, "Host") || HTTPSyntax.equalsIgnoringCase(name, "Content-Length")
                || HTTPSyntax.equalsIgnoringCase(name, "Transfer-Encoding") {
                continue
            }
            appendField(&out, name, value)
        }
        if !body.isEmpty || method == .post || method == .put || method == .patch {
            appendField(&out, "Content-Length", String(body.count))
        }
        out.append(contentsOf: HTTPSyntax.crlf)
        out.append(contentsOf: body)
        return out
    }

    /// `/` followed by request-target characters, or `*` for OPTIONS.
    private static func isOriginFormOrAsterisk(_ target: String, method: HTTPMethod) -> Bool {
        if target == "*" { return method == .options }
        guard target.utf8.first == UInt8(ascii: "/") else { return false }
        return target.utf8.allSatisfy(HTTPSyntax.isTargetChar)
    }

    /// A registered name, IPv4 literal or IPv6 literal (unbracketed): printable, no delimiters.
    private static func isValidHost(_ host: String) -> Bool {
        !host.isEmpty && !host.utf8.contains { byte in
            byte <= HTTPSyntax.sp || byte == 0x7F || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?")
                || byte == UInt8(ascii: "#") || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
        }
    }

    private static func appendField(_ out: inout [UInt8], _ name: String, _ value: String) {
        out.append(contentsOf: name.utf8)
        out.append(HTTPSyntax.colon)
        out.append(HTTPSyntax.sp)
        out.append(contentsOf: value.utf8)
        out.append(contentsOf: HTTPSyntax.crlf)
    }
}
