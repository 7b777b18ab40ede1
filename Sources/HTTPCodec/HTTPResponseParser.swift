/// A resumable, sans-I/O HTTP/1.1 response parser for clients (RFC 9112 §4, §6.3).
///
/// Handles Content-Length, chunked and close-delimited bodies. Responses to HEAD and 1xx /
/// 204 / 304 responses have no body. An interim 1xx (other than 101) comes out as `.head` +
/// `.end` and the final response follows. After `101 Switching Protocols` the parser stops:
/// `next()` returns nil and every later byte stays in `remainingBytes`.
public struct HTTPResponseParser: Sendable {
    private enum State: Sendable {
        case statusLine
        case headers(version: HTTPVersion, status: Int, reason: String, HTTPHeaderSection)
        case body(HTTPBodyDecoder)
        case upgraded
        case failed(HTTPParserError)
    }

    private let limits: HTTPParserLimits
    private var input = HTTPInputBuffer()
    private var state: State = .statusLine
    private var inputEnded = false
    /// Whether the request being answered was HEAD; set before each response on a keep-alive
    /// connection (applies when the status line is parsed).
    public var requestMethodWasHEAD: Bool

    /// A parser for the response to one request (HEAD or not).
    public init(limits: HTTPParserLimits = HTTPParserLimits(), requestMethodWasHEAD: Bool = false) {
        self.limits = limits
        self.requestMethodWasHEAD = requestMethodWasHEAD
    }

    /// Prepares for the response to the next request on a keep-alive connection.
    public mutating func setRequestMethod(_ method: HTTPMethod) {
        requestMethodWasHEAD = method == .head
    }

    /// Bytes received and not consumed: after a 101 head, the first bytes of the new protocol.
    public var remainingBytes: [UInt8] { Array(input.readableBytes) }

    /// True after a 101 response head was returned.
    public var isUpgraded: Bool {
        if case .upgraded = state { return true }
        return false
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        input.append(bytes)
    }

    /// Adds received bytes from a raw buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        input.append(bytes)
    }

    /// The peer closed. Call after `next()` returned nil. Ends a close-delimited body (the next
    /// `next()` returns `.end`); throws `truncatedMessage` if a head or a length-delimited body
    /// is incomplete.
    public mutating func endOfInput() throws(HTTPParserError) {
        inputEnded = true
        switch state {
        case .failed(let error):
            throw error
        case .statusLine where input.readableCount == 0:
            return
        case .upgraded:
            return
        case .body(let decoder) where decoder.isCloseDelimited || decoder.isDone:
            return
        default:
            let error = HTTPParserError(.truncatedMessage, "connection closed in the middle of a response")
            state = .failed(error)
            throw error
        }
    }

    /// The next part, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParserError) -> HTTPResponsePart? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParserError) -> HTTPResponsePart? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .upgraded:
                return nil
            case .statusLine:
                let line: ArraySlice<UInt8>
                switch try input.nextLine(maxContent: limits.maxRequestLineBytes) {
                case .needMore: return nil
                case .tooLong:
                    throw HTTPParserError(.invalidStatusLine, "status line exceeds \(limits.maxRequestLineBytes) bytes")
                case .line(let content): line = content
                }
                let (version, status, reason) = try HTTPResponseParser.parseStatusLine(line)
                input.consumeLine(line)
                state = .headers(version: version, status: status, reason: reason, HTTPHeaderSection())
            case .headers(let version, let status, let reason, var section):
                guard try section.parse(from: &input, limits: limits, keep: true) else {
                    state = .headers(version: version, status: status, reason: reason, section)
                    return nil
                }
                let head = HTTPResponseHeadParsed(version: version, status: status, reason: reason, headers: section.headers)
                if status == 101 {
                    state = .upgraded
                    return .head(head)
                }
                let framing = try framing(status: status, headers: section.headers)
                state = .body(HTTPBodyDecoder(framing))
                return .head(head)
            case .body(var decoder):
                switch try decoder.next(&input, limits: limits, inputEnded: inputEnded) {
                case nil:
                    state = .body(decoder)
                    return nil
                case .bytes(let bytes)?:
                    state = .body(decoder)
                    return .body(bytes)
                case .end?:
                    state = .statusLine
                    return .end
                }
            }
        }
    }

    /// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). A missing
    /// SP after the code is tolerated when no reason follows.
    private static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(HTTPParserError) -> (HTTPVersion, Int, String) {
        func invalid() -> HTTPParserError {
            HTTPParserError(.invalidStatusLine, "malformed status line: \(HTTPSyntax.snippet(line))")
        }
        guard line.count >= 12, line[line.startIndex + 8] == HTTPSyntax.sp else { throw invalid() }
        let version: HTTPVersion
        switch HTTPVersion.parse(line.prefix(8)) {
        case .version(let v): version = v
        case .unsupported: throw HTTPParserError(.unsupportedVersion, "unsupported HTTP version in status line")
        case .malformed: throw invalid()
        }
        let codeBytes = line[(line.startIndex + 9)..<(line.startIndex + 12)]
        guard codeBytes.allSatisfy(HTTPSyntax.isDigit) else { throw invalid() }
        let code = codeBytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard code >= 100 else { throw invalid() }
        let rest = line[(line.startIndex + 12)...]
        if rest.isEmpty { return (version, code, "") }
        guard rest.first == HTTPSyntax.sp else { throw invalid() }
        let reason = rest.dropFirst()
        guard !reason.contains(where: HTTPSyntax.isForbiddenInValue) else { throw invalid() }
        return (version, code, String(decoding: reason, as: UTF8.self))
    }

    /// RFC 9112 §6.3 for responses.
    private func framing(status: Int, headers: HTTPHeaders) throws(HTTPParserError) -> HTTPBodyDecoder.Framing {
        if requestMethodWasHEAD || (100..<200).contains(status) || status == 204 || status == 304 {
            return .contentLength(0)
        }
        let contentLengths = headers.values(for: "Content-Length")
        if headers.contains("Transfer-Encoding") {
            if !contentLengths.isEmpty {
                throw HTTPParserError(.contentLengthWithTransferEncoding, "both Content-Length and Transfer-Encoding are present")
            }
            // RFC 9112 §6.3 item 4: if chunked is not final, the body is close-delimited.
            let codings = headers.tokens(for: "Transfer-Encoding")
            return codings.last == "chunked" ? .chunked : .closeDelimited
        }
        if !contentLengths.isEmpty {
            let length = try HTTPRequestParser.parseContentLength(contentLengths)
            guard length <= limits.maxBodyBytes else {
                throw HTTPParserError(.bodyTooLarge, "Content-Length exceeds the limit of \(limits.maxBodyBytes) bytes")
            }
            return .contentLength(length)
        }
        return .closeDelimited
    }
}
