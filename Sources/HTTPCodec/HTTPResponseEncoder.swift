/// Encodes response heads and chunked bodies. The encoder owns framing: callers never write
/// Content-Length, Transfer-Encoding or Connection: close / keep-alive themselves.
public enum HTTPResponseEncoder {
    /// The last chunk of a chunked body with an empty trailer section: `0\r\n\r\n`.
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// `HTTP/1.1 100 Continue` with no fields (RFC 9110 §15.2.1).
    public static func continueResponse() -> [UInt8] {
        Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    }

    /// Encodes a status line and header section with the framing headers for `framing`.
    ///
    /// Caller-supplied Content-Length and Transfer-Encoding are dropped; `close` / `keep-alive`
    /// tokens are dropped from Connection while other tokens (e.g. `upgrade`) are kept. Then:
    /// closeDelimited or `keepAlive == false` → `Connection: close`; HTTP/1.0 with keep-alive →
    /// `Connection: keep-alive`. Names and values are validated before anything is written.
    /// `requestVersion` is the client's version when it differs from the response's (an HTTP/1.1
    /// response to an HTTP/1.0 client must say `keep-alive` explicitly, RFC 9112 §9.3).
    public static func encodeHead(_ head: HTTPResponseHead, framing: HTTPBodyFraming, keepAlive: Bool,
                                  requestVersion: HTTPVersion? = nil) throws(HTTPHeaderValidationError) -> [UInt8] {
        let code = head.status.code
        guard (100...999).contains(code) else { throw HTTPHeaderValidationError(.invalidStatusCode) }
        // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
        guard !head.status.reasonPhrase.utf8.contains(where: HTTPSyntax.isForbiddenInValue) else {
            throw HTTPHeaderValidationError(.invalidReasonPhrase)
        }
        let bodyless = (100..<200).contains(code) || code == 204
        switch framing {
        case .none: break
        case .contentLength(let n):
            if n < 0 { throw HTTPHeaderValidationError(.invalidContentLength) }
            if bodyless { throw HTTPHeaderValidationError(.framingNotAllowed) }
        case .chunked:
            if bodyless { throw HTTPHeaderValidationError(.framingNotAllowed) }
            if head.version == .http1_0 { throw HTTPHeaderValidationError(.chunkedRequiresHTTP11) }
        case .closeDelimited:
            if bodyless { throw HTTPHeaderValidationError(.framingNotAllowed) }
        }

        var out: [UInt8] = []
        out.reserveCapacity(128 + head.headers.count * 32)
        out.append(contentsOf: head.version.bytes)
        out.append(HTTPSyntax.sp)
        out.append(contentsOf: String(code).utf8)
        out.append(HTTPSyntax.sp)
        out.append(contentsOf: head.status.reasonPhrase.utf8)
        out.append(contentsOf: HTTPSyntax.crlf)

        var connectionTokens: [String] = []
        for (name, value) in head.headers {
            guard HTTPSyntax.isToken(name.utf8) else { throw HTTPHeaderValidationError(.invalidName, name: String(name.prefix(64))) }
            guard !value.utf8.contains(where: HTTPSyntax.isForbiddenInValue) else {
                throw HTTPHeaderValidationError(.invalidValue, name: name)
            }
            if HTTPSyntax.equalsIgnoringCase(name, "Content-Length") || HTTPSyntax.equalsIgnoringCase(name, "Transfer-Encoding") {
                continue
            }
            if HTTPSyntax.equalsIgnoringCase(name, "Connection") {
                for token in HTTPHeaders([(name, value)]).tokens(for: name) where token != "close" && token != "keep-alive" {
                    connectionTokens.append(token)
                }
                continue
            }
            appendField(&out, name, value)
        }

        switch framing {
        case .none, .closeDelimited: break
        case .contentLength(let n): appendField(&out, "Content-Length", String(n))
        case .chunked: appendField(&out, "Transfer-Encoding", "chunked")
        }
        if framing == .closeDelimited || !keepAlive {
            connectionTokens.append("close")
        } else if (requestVersion ?? head.version) == .http1_0 {
            connectionTokens.append("keep-alive")
        }
        if !connectionTokens.isEmpty {
            appendField(&out, "Connection", connectionTokens.joined(separator: ", "))
        }
        out.append(contentsOf: HTTPSyntax.crlf)
        return out
    }

    /// One chunk: size in hex, CRLF, the bytes, CRLF. Empty input gives empty output, so a
    /// zero-length write can never be mistaken for the last chunk.
    public static func encodeChunk(_ bytes: some Collection<UInt8>) -> [UInt8] {
        encodeChunk(Array(bytes))
    }

    /// `encodeChunk` for an array: one exactly sized buffer, the size's hex digits written in place
    /// (this runs once per relayed SSE event).
    public static func encodeChunk(_ bytes: [UInt8]) -> [UInt8] {
        let count = bytes.count
        if count == 0 { return [] }
        let header = chunkHeaderCount(for: count)
        return [UInt8](unsafeUninitializedCapacity: header + count + 2) { buffer, initialized in
            writeChunkHeader(for: count, at: buffer.baseAddress!)
            bytes.withUnsafeBufferPointer { source in
                (buffer.baseAddress! + header).initialize(from: source.baseAddress!, count: count)
            }
            buffer[header + count] = HTTPSyntax.cr
            buffer[header + count + 1] = HTTPSyntax.lf
            initialized = header + count + 2
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Bytes of the chunk header (size in hex + CRLF) for a chunk of `count` bytes, `count > 0`.
    public static func chunkHeaderCount(for count: Int) -> Int {
        var digits = 1
        while count >> (4 * digits) != 0 { digits += 1 }
        return digits + 2
    }

    /// Writes the chunk header for `count` bytes at `start`, which has room for
    /// `chunkHeaderCount(for: count)` bytes; a CRLF must follow the chunk's bytes.
    public static func writeChunkHeader(for count: Int, at start: UnsafeMutablePointer<UInt8>) {
        let digits = chunkHeaderCount(for: count) - 2
        for index in 0..<digits {
            start[index] = hexDigits[(count >> (4 * (digits - 1 - index))) & 0xF]
        }
        start[digits] = HTTPSyntax.cr
        start[digits + 1] = HTTPSyntax.lf
    }

    private static func appendField(_ out: inout [UInt8], _ name: String, _ value: String) {
        out.append(contentsOf: name.utf8)
        out.append(HTTPSyntax.colon)
        out.append(HTTPSyntax.sp)
        out.append(contentsOf: value.utf8)
        out.append(contentsOf: HTTPSyntax.crlf)
    }
}
