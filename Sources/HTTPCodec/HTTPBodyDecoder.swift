/// Decodes a message body framed by Content-Length, chunked coding, or connection close.
///
/// ```
/// chunked-body = *chunk last-chunk trailer-section CRLF      (RFC 9112 §7.1)
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
/// ```
struct HTTPBodyDecoder: Sendable {
    enum Framing: Sendable, Equatable {
        case contentLength(Int)
        case chunked
        case closeDelimited
    }

    enum Event: Sendable, Equatable {
        case bytes([UInt8])
        case end
    }

    private enum State: Sendable {
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(HTTPHeaderSection)
        case closeDelimited
        case done
    }

    private var state: State
    private var total = 0

    init(_ framing: Framing) {
        switch framing {
        case .contentLength(let n): state = n == 0 ? .done : .length(remaining: n)
        case .chunked: state = .chunkSize
        case .closeDelimited: state = .closeDelimited
        }
    }

    /// True when the body ends with the connection.
    var isCloseDelimited: Bool {
        if case .closeDelimited = state { return true }
        return false
    }

    /// True once the whole body was read.
    var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// The next body event, or nil when more input is needed.
    mutating func next(_ input: inout HTTPInputBuffer, limits: HTTPParserLimits, inputEnded: Bool) throws(HTTPParserError) -> Event? {
        while true {
            switch state {
            case .done:
                return .end
            case .length(let remaining):
                let n = min(remaining, input.readableCount)
                if n == 0 { return nil }
                state = remaining == n ? .done : .length(remaining: remaining - n)
                return .bytes(input.read(n))
            case .closeDelimited:
                if input.readableCount > 0 {
                    let n = input.readableCount
                    guard n <= limits.maxBodyBytes - total else {
                        throw HTTPParserError(.bodyTooLarge, "body exceeds \(limits.maxBodyBytes) bytes")
                    }
                    total += n
                    return .bytes(input.consumeAll())
                }
                if inputEnded {
                    state = .done
                    continue
                }
                return nil
            case .chunkSize:
                let line: ArraySlice<UInt8>
                switch try input.nextLine(maxContent: limits.maxChunkLineBytes) {
                case .needMore: return nil
                case .tooLong:
                    throw HTTPParserError(.chunkLineTooLong, "chunk-size line exceeds \(limits.maxChunkLineBytes) bytes")
                case .line(let content): line = content
                }
                let size = try HTTPBodyDecoder.parseChunkSizeLine(line)
                input.consumeLine(line)
                guard size <= limits.maxBodyBytes - total else {
                    throw HTTPParserError(.bodyTooLarge, "chunked body exceeds \(limits.maxBodyBytes) bytes")
                }
                total += size
                state = size == 0 ? .trailers(HTTPHeaderSection()) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, input.readableCount)
                if n == 0 { return nil }
                state = remaining == n ? .chunkDataEnd : .chunkData(remaining: remaining - n)
                return .bytes(input.read(n))
            case .chunkDataEnd:
                if input.readableCount >= 1, input.byte(at: 0) != HTTPSyntax.cr {
                    throw HTTPParserError(.invalidChunkTerminator, "chunk data not followed by CRLF (RFC 9112 §7.1)")
                }
                if input.readableCount < 2 { return nil }
                guard input.byte(at: 1) == HTTPSyntax.lf else {
                    throw HTTPParserError(.invalidChunkTerminator, "chunk data not followed by CRLF (RFC 9112 §7.1)")
                }
                input.consume(2)
                state = .chunkSize
            case .trailers(var section):
                let complete = try section.parse(from: &input, limits: limits, keep: false)
                state = complete ? .done : .trailers(section)
                if !complete { return nil }
            }
        }
    }

    /// chunk-size [ chunk-ext ]: hex digits, then only well-formed extensions (skipped).
    static func parseChunkSizeLine(_ line: ArraySlice<UInt8>) throws(HTTPParserError) -> Int {
        var i = line.startIndex
        var size = 0
        while i < line.endIndex, let digit = HTTPSyntax.hexValue(line[i]) {
            guard size <= (Int.max - digit) / 16 else {
                throw HTTPParserError(.invalidChunkSize, "chunk size overflows")
            }
            size = size * 16 + digit
            i += 1
        }
        guard i > line.startIndex else {
            throw HTTPParserError(.invalidChunkSize, "chunk size is not hexadecimal: \(HTTPSyntax.snippet(line))")
        }
        let rest = line[i...]
        if rest.isEmpty { return size }
        guard let first = rest.first, first == UInt8(ascii: ";") || HTTPSyntax.isWhitespace(first) else {
            throw HTTPParserError(.invalidChunkSize, "chunk size is not hexadecimal: \(HTTPSyntax.snippet(line))")
        }
        guard validExtensions(rest) else {
            throw HTTPParserError(.invalidChunkExtension, "malformed chunk extension: \(HTTPSyntax.snippet(rest))")
        }
        return size
    }

    /// *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ), at least one.
    private static func validExtensions(_ bytes: ArraySlice<UInt8>) -> Bool {
        var i = bytes.startIndex
        let end = bytes.endIndex
        func skipBWS() { while i < end, HTTPSyntax.isWhitespace(bytes[i]) { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < end, HTTPSyntax.isTChar(bytes[i]) { i += 1 }
            return i > start
        }
        var sawExtension = false
        while true {
            skipBWS()
            if i == end { return sawExtension }
            guard bytes[i] == UInt8(ascii: ";") else { return false }
            i += 1
            skipBWS()
            guard token() else { return false }
            sawExtension = true
            skipBWS()
            guard i < end, bytes[i] == UInt8(ascii: "=") else { continue }
            i += 1
            skipBWS()
            guard i < end else { return false }
            if bytes[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < end {
                    let b = bytes[i]
                    if b == UInt8(ascii: "\"") { closed = true; i += 1; break }
                    if b == UInt8(ascii: "\\") {
                        i += 1
                        guard i < end, !HTTPSyntax.isForbiddenInValue(bytes[i]) else { return false }
                    } else if HTTPSyntax.isForbiddenInValue(b) {
                        return false
                    }
                    i += 1
                }
                guard closed else { return false }
            } else if !token() {
                return false
            }
        }
    }
}
