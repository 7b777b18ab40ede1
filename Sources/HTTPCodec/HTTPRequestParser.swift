/// A strict, resumable, sans-I/O HTTP/1.1 request parser (RFC 9112).
///
/// Append bytes as they arrive and call `next()` until it returns nil. Each request comes out
/// as `.head`, zero or more `.body` pieces (as soon as bytes arrive) and `.end`; pipelined
/// requests follow from the buffered bytes. After an error every call throws the same error.
public struct HTTPRequestParser: Sendable {
    /// RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request line. We
    /// ignore up to this many per message and reject more.
    public static let maxLeadingEmptyLines = 4

    private enum State: Sendable {
        case requestLine(emptyLines: Int)
        case headers(RequestLine, HTTPHeaderSection)
        case body(HTTPBodyDecoder)
        case failed(HTTPParserError)
    }

    struct RequestLine: Sendable {
        var method: HTTPMethod
        var target: String
        var form: HTTPRequestTarget
        var version: HTTPVersion
    }

    let limits: HTTPParserLimits
    private var input = HTTPInputBuffer()
    private var state: State = .requestLine(emptyLines: 0)

    /// A parser enforcing `limits`.
    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Bytes appended but not yet consumed.
    public var bufferedByteCount: Int { input.readableCount }

    /// True between messages with nothing buffered.
    public var isIdle: Bool {
        if case .requestLine = state { return input.readableCount == 0 }
        return false
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        input.append(bytes)
    }

    /// Adds received bytes from a raw buffer (no intermediate array).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        input.append(bytes)
    }

    /// The next part, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParserError) -> HTTPRequestPart? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// The peer closed its side. Call after `next()` returned nil. Fine between messages;
    /// `truncatedMessage` (400) in the middle of one.
    public mutating func endOfInput() throws(HTTPParserError) {
        switch state {
        case .failed(let error):
            throw error
        case .requestLine where input.readableCount == 0:
            return
        default:
            let error = HTTPParserError(.truncatedMessage, "connection closed in the middle of a request")
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParserError) -> HTTPRequestPart? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .requestLine(let emptyLines):
                let line: ArraySlice<UInt8>
                switch try input.nextLine(maxContent: limits.maxRequestLineBytes) {
                case .needMore: return nil
                case .tooLong:
                    throw HTTPParserError(.uriTooLong, "request line exceeds \(limits.maxRequestLineBytes) bytes")
                case .line(let content): line = content
                }
                if line.isEmpty {
                    guard emptyLines < HTTPRequestParser.maxLeadingEmptyLines else {
                        throw HTTPParserError(.tooManyLeadingEmptyLines, "more than \(HTTPRequestParser.maxLeadingEmptyLines) empty lines before the request line")
                    }
                    input.consumeLine(line)
                    state = .requestLine(emptyLines: emptyLines + 1)
                    continue
                }
                let requestLine = try HTTPRequestParser.parseRequestLine(line)
                input.consumeLine(line)
                state = .headers(requestLine, HTTPHeaderSection())
            case .headers(let requestLine, var section):
                let complete = try section.parse(from: &input, limits: limits, keep: true)
                guard complete else {
                    state = .headers(requestLine, section)
                    return nil
                }
                let framing = try bodyFraming(requestLine, section.headers)
                let head = HTTPRequestHead(
                    method: requestLine.method, target: requestLine.target, form: requestLine.form,
                    version: requestLine.version, headers: section.headers, hasBody: framing != .contentLength(0))
                state = .body(HTTPBodyDecoder(framing))
                return .head(head)
            case .body(var decoder):
                let event = try decoder.next(&input, limits: limits, inputEnded: false)
                switch event {
                case nil:
                    state = .body(decoder)
                    return nil
                case .bytes(let bytes)?:
                    state = .body(decoder)
                    return .body(bytes)
                case .end?:
                    state = .requestLine(emptyLines: 0)
                    return .end
                }
            }
        }
    }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single SPs only.
    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParserError) -> RequestLine {
        if line.contains(0) {
            throw HTTPParserError(.nulByte, "NUL byte in request line")
        }
        let parts = line.split(separator: HTTPSyntax.sp, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw HTTPParserError(.invalidRequestLine, "request line must be method SP target SP version: \(HTTPSyntax.snippet(line))")
        }
        guard HTTPSyntax.isToken(parts[0]) else {
            throw HTTPParserError(.invalidMethod, "method is not a token: \(HTTPSyntax.snippet(parts[0]))")
        }
        let version: HTTPVersion
        switch HTTPVersion.parse(parts[2]) {
        case .version(let v): version = v
        case .unsupported:
            throw HTTPParserError(.unsupportedVersion, "HTTP version \(HTTPSyntax.snippet(parts[2])) is not supported; use HTTP/1.1")
        case .malformed:
            throw HTTPParserError(.invalidVersion, "malformed HTTP version: \(HTTPSyntax.snippet(parts[2]))")
        }
        let method = HTTPMethod(rawValue: String(decoding: parts[0], as: UTF8.self))
        let form = try HTTPRequestTarget.parse(parts[1], method: method)
        return RequestLine(method: method, target: String(decoding: parts[1], as: UTF8.self), form: form, version: version)
    }
}
