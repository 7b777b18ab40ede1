import RelayCrypto

/// The opening handshake (RFC 6455 §4) for both ends: the client builds its request and checks the
/// server's 101; the server checks the request and builds its 101. Headers are plain `[(name, value)]`
/// lists; names compare case-insensitively. Parsing the HTTP head itself is the HTTP codec's job.
public enum WebSocketHandshake {
    /// The GUID appended to the key before hashing (§1.3).
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// The only protocol version this codec speaks (§4.1, `Sec-WebSocket-Version`).
    public static let version = "13"

    /// A fresh `Sec-WebSocket-Key`: base64 of 16 random bytes (§4.1 item 7).
    public static func makeClientKey() -> String {
        Base64.encode(SecureRandom.bytes(count: 16))
    }

    /// `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)) (§4.2.2 item 5.4).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(Digest.sha1(Array((key + guid).utf8)))
    }

    /// The client's upgrade request head, ending with the blank line. `extraHeaders` come after the
    /// standard ones; a `User-Agent` among them replaces the default `spark-relay`.
    /// Traps if any part contains CR, LF or NUL (header injection is a programming error here).
    public static func clientRequest(
        host: String,
        requestTarget: String,
        key: String,
        extraHeaders: [(String, String)] = []
    ) -> [UInt8] {
        var headers: [(String, String)] = [
            ("Host", host),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", version),
        ]
        if !extraHeaders.contains(where: { equalsIgnoringCase($0.0, "User-Agent") }) {
            headers.append(("User-Agent", "spark-relay"))
        }
        headers.append(contentsOf: extraHeaders)
        return head(startLine: "GET \(requestTarget) HTTP/1.1", headers: headers)
    }

    /// Checks the server's answer to our request made with `key` (§4.1, "the client MUST validate the
    /// server's response"). Non-101 is `.unexpectedStatus` (the caller keeps the body for the message).
    /// Any extension or subprotocol not in `requestedExtensions` / `requestedProtocols` is refused.
    public static func validateServerResponse(
        status: Int,
        headers: [(String, String)],
        key: String,
        requestedExtensions: [String] = [],
        requestedProtocols: [String] = []
    ) throws(WebSocketHandshakeError) {
        // §4.1 step 1: anything but 101 is handled per HTTP, i.e. not a WebSocket.
        guard status == 101 else {
            throw WebSocketHandshakeError(.unexpectedStatus(status), httpStatus: status, "server answered \(status), not 101")
        }
        // §4.1 step 2: Upgrade must be an ASCII case-insensitive match for "websocket".
        let upgrade = values(of: "Upgrade", in: headers)
        guard upgrade.count == 1, equalsIgnoringCase(trimmed(upgrade[0]), "websocket") else {
            throw WebSocketHandshakeError(.missingUpgrade, httpStatus: nil, "response lacks Upgrade: websocket")
        }
        // §4.1 step 3: Connection must contain the token "Upgrade".
        guard tokens(of: "Connection", in: headers).contains(where: { equalsIgnoringCase($0, "upgrade") }) else {
            throw WebSocketHandshakeError(.missingConnectionUpgrade, httpStatus: nil, "response lacks Connection: Upgrade")
        }
        // §4.1 step 4: Sec-WebSocket-Accept must be base64(SHA-1(key + GUID)).
        let accept = values(of: "Sec-WebSocket-Accept", in: headers)
        guard accept.count == 1 else {
            throw WebSocketHandshakeError(.missingAccept, httpStatus: nil, "response has \(accept.count) Sec-WebSocket-Accept fields")
        }
        guard ConstantTime.equals(Array(trimmed(accept[0]).utf8), Array(acceptValue(forKey: key).utf8)) else {
            throw WebSocketHandshakeError(.acceptMismatch, httpStatus: nil, "Sec-WebSocket-Accept does not match the key sent")
        }
        // §4.1 step 5: an extension not present in the client's handshake fails the connection.
        for extensionValue in tokens(of: "Sec-WebSocket-Extensions", in: headers) {
            let name = trimmed(String(extensionValue.split(separator: ";", omittingEmptySubsequences: false)[0]))
            guard requestedExtensions.contains(where: { equalsIgnoringCase($0, name) }) else {
                throw WebSocketHandshakeError(.unrequestedExtension(name), httpStatus: nil, "server chose extension \(name), which was not requested")
            }
        }
        // §4.1 step 6: a subprotocol not present in the client's handshake fails the connection.
        for proto in tokens(of: "Sec-WebSocket-Protocol", in: headers) where !requestedProtocols.contains(proto) {
            throw WebSocketHandshakeError(.unrequestedSubprotocol(proto), httpStatus: nil, "server chose subprotocol \(proto), which was not requested")
        }
    }

    /// Checks a client's upgrade request (§4.2.1) and returns the `Sec-WebSocket-Accept` value to send.
    /// Failures carry the status to answer with: 426 with `Sec-WebSocket-Version: 13` for a missing or
    /// other version (§4.2.2 item 4), 400 for everything else.
    public static func validateClientRequest(
        method: String,
        version httpVersion: String,
        headers: [(String, String)]
    ) -> Result<String, WebSocketHandshakeError> {
        // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
        guard method == "GET" else {
            return .failure(WebSocketHandshakeError(.methodNotGet(method), httpStatus: 400, "WebSocket upgrade needs GET, got \(method)"))
        }
        guard httpVersion == "HTTP/1.1" else {
            return .failure(WebSocketHandshakeError(.unsupportedHTTPVersion(httpVersion), httpStatus: 400, "WebSocket upgrade needs HTTP/1.1"))
        }
        // §4.2.1 item 2: a Host header field.
        guard values(of: "Host", in: headers).count == 1 else {
            return .failure(WebSocketHandshakeError(.missingHost, httpStatus: 400, "request needs exactly one Host field"))
        }
        // §4.2.1 item 3: Upgrade containing "websocket".
        guard tokens(of: "Upgrade", in: headers).contains(where: { equalsIgnoringCase($0, "websocket") }) else {
            return .failure(WebSocketHandshakeError(.missingUpgrade, httpStatus: 400, "request lacks Upgrade: websocket"))
        }
        // §4.2.1 item 4: Connection including the token "Upgrade".
        guard tokens(of: "Connection", in: headers).contains(where: { equalsIgnoringCase($0, "upgrade") }) else {
            return .failure(WebSocketHandshakeError(.missingConnectionUpgrade, httpStatus: 400, "request lacks Connection: Upgrade"))
        }
        // §4.2.2 item 4 / §4.2.1 item 6: version 13, else 426 naming the versions we speak.
        let versions = values(of: "Sec-WebSocket-Version", in: headers).map(trimmed)
        guard versions == [version] else {
            return .failure(WebSocketHandshakeError(.unsupportedVersion(versions.first), httpStatus: 426, "Sec-WebSocket-Version must be 13"))
        }
        // §4.2.1 item 5: a key that base64-decodes to 16 bytes.
        let keys = values(of: "Sec-WebSocket-Key", in: headers).map(trimmed)
        guard keys.count == 1, Base64.decode(keys[0])?.count == 16 else {
            return .failure(WebSocketHandshakeError(.invalidKey, httpStatus: 400, "Sec-WebSocket-Key must be base64 of 16 bytes"))
        }
        return .success(acceptValue(forKey: keys[0]))
    }

    /// The server's `101 Switching Protocols` head (§4.2.2 item 5), ending with the blank line.
    public static func serverResponse(accept: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        var headers: [(String, String)] = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept),
        ]
        headers.append(contentsOf: extraHeaders)
        return head(startLine: "HTTP/1.1 101 Switching Protocols", headers: headers)
    }

    /// A minimal error response for a refused upgrade: the error's status (400 if it has none), its
    /// `responseHeaders`, an empty body and `Connection: close`.
    public static func errorResponse(for error: WebSocketHandshakeError) -> [UInt8] {
        let status = error.httpStatus ?? 400
        let reason = status == 426 ? "Upgrade Required" : "Bad Request"
        var headers = error.responseHeaders
        headers.append(("Content-Length", "0"))
        headers.append(("Connection", "close"))
        return head(startLine: "HTTP/1.1 \(status) \(reason)", headers: headers)
    }
}
