/// Accumulates one header or trailer section under the byte and count limits (RFC 9112 §5).
struct HTTPHeaderSection: Sendable {
    var headers = HTTPHeaders()
    /// Bytes of field lines so far, each with its CRLF.
    var byteCount = 0
    /// Field lines so far (also counted when discarded).
    var fieldCount = 0

    /// Reads field lines until the empty line. Returns true when the section is complete.
    mutating func parse(from input: inout HTTPInputBuffer, limits: HTTPParserLimits, keep: Bool) throws(HTTPParserError) -> Bool {
        while true {
            let budget = limits.maxHeaderBytes - byteCount - 2
            if budget < 0 {
                throw HTTPParserError(.headersTooLarge, "header section exceeds \(limits.maxHeaderBytes) bytes")
            }
            let line: ArraySlice<UInt8>
            switch try input.nextLine(maxContent: budget) {
            case .needMore: return false
            case .tooLong:
                throw HTTPParserError(.headersTooLarge, "header section exceeds \(limits.maxHeaderBytes) bytes")
            case .line(let content): line = content
            }
            input.consumeLine(line)
            byteCount += line.count + 2
            if line.isEmpty { return true }
            if fieldCount >= limits.maxHeaderCount {
                throw HTTPParserError(.tooManyHeaders, "more than \(limits.maxHeaderCount) header fields")
            }
            let field = try HTTPHeaderSection.parseField(line)
            fieldCount += 1
            // Trailers are validated and counted, then discarded (RFC 9112 §7.1.2 allows it).
            if keep { headers.add(name: field.name, value: field.value) }
        }
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5).
    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParserError) -> (name: String, value: String) {
        if let first = line.first, HTTPSyntax.isWhitespace(first) {
            // RFC 9112 §5.2: a server MUST reject obs-fold (or replace it); we reject.
            throw HTTPParserError(.obsoleteLineFolding, "obsolete line folding (a line starting with whitespace) is not accepted (RFC 9112 §5.2)")
        }
        if line.contains(0) {
            throw HTTPParserError(.nulByte, "NUL byte in header field")
        }
        guard let colon = line.firstIndex(of: HTTPSyntax.colon) else {
            throw HTTPParserError(.invalidHeaderLine, "header line without a colon: \(HTTPSyntax.snippet(line))")
        }
        let name = line[line.startIndex..<colon]
        if let last = name.last, HTTPSyntax.isWhitespace(last) {
            // RFC 9112 §5.1: a server MUST reject whitespace between field name and colon with 400.
            throw HTTPParserError(.whitespaceBeforeColon, "whitespace between field name and colon: \(HTTPSyntax.snippet(name))")
        }
        guard HTTPSyntax.isToken(name) else {
            throw HTTPParserError(.invalidHeaderName, "invalid header field name: \(HTTPSyntax.snippet(name))")
        }
        let value = HTTPSyntax.trimOWS(line[(colon + 1)...])
        if value.contains(where: HTTPSyntax.isForbiddenInValue) {
            // RFC 9110 §5.5: field values must not contain CTLs other than HTAB.
            throw HTTPParserError(.invalidHeaderValue, "control character in the value of \(HTTPSyntax.snippet(name))")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }
}
