/// Message framing for requests: Host rules, Transfer-Encoding and Content-Length.
extension HTTPRequestParser {
    /// Host checks and message body length (RFC 9112 §3.2, §6.1, §6.3).
    func bodyFraming(_ line: RequestLine, _ headers: HTTPHeaders) throws(HTTPParserError) -> HTTPBodyDecoder.Framing {
        // RFC 9112 §3.2: 400 for a missing Host in HTTP/1.1, more than one Host, or an invalid one.
        let hosts = headers.values(for: "Host")
        if hosts.count > 1 {
            throw HTTPParserError(.duplicateHost, "more than one Host header field")
        }
        if let host = hosts.first {
            guard host.isEmpty || HTTPAuthority.isValid(ArraySlice(host.utf8), requirePort: false) else {
                throw HTTPParserError(.invalidHost, "invalid Host header: \(HTTPSyntax.snippet(Array(host.utf8)))")
            }
        } else if line.version == .http1_1 {
            throw HTTPParserError(.missingHost, "HTTP/1.1 request without a Host header")
        }

        let transferEncodings = headers.values(for: "Transfer-Encoding")
        let contentLengths = headers.values(for: "Content-Length")
        if !transferEncodings.isEmpty {
            // RFC 9112 §6.1: TE in HTTP/1.0 signals a faulty intermediary; treat as framing error.
            if line.version == .http1_0 {
                throw HTTPParserError(.transferEncodingInHTTP10, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            }
            // RFC 9112 §6.1/§6.3: CL with TE is a smuggling vector; we reject it.
            if !contentLengths.isEmpty {
                throw HTTPParserError(.contentLengthWithTransferEncoding, "both Content-Length and Transfer-Encoding are present")
            }
            try HTTPRequestParser.checkTransferCodings(headers)
            return .chunked
        }
        guard let contentLength = contentLengths.first else { return .contentLength(0) }
        let length = try HTTPRequestParser.parseContentLength(contentLengths)
        guard length <= limits.maxBodyBytes else {
            throw HTTPParserError(.bodyTooLarge, "Content-Length \(contentLength) exceeds the limit of \(limits.maxBodyBytes) bytes")
        }
        return .contentLength(length)
    }

    /// RFC 9112 §6.3: chunked must be the final coding (else 400); §6.1: codings we don't
    /// implement get 501; §7.1: chunked must not be applied twice.
    static func checkTransferCodings(_ headers: HTTPHeaders) throws(HTTPParserError) {
        var codings: [String] = []
        for value in headers.values(for: "Transfer-Encoding") {
            for part in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                let trimmed = HTTPSyntax.trimOWS(ArraySlice(part))
                if trimmed.isEmpty { continue }
                // Transfer-coding parameters are not defined for chunked; a token is required.
                guard HTTPSyntax.isToken(trimmed) else {
                    throw HTTPParserError(.invalidTransferEncoding, "invalid transfer coding: \(HTTPSyntax.snippet(trimmed))")
                }
                codings.append(String(decoding: trimmed.map(HTTPSyntax.lower), as: UTF8.self))
            }
        }
        guard !codings.isEmpty else {
            throw HTTPParserError(.invalidTransferEncoding, "empty Transfer-Encoding")
        }
        // RFC 9112 §6.1: a coding the server does not understand is answered with 501. The relay
        // implements only chunked, so any other coding (gzip alone, or chunked plus another) is 501;
        // the connection is closed afterwards because its framing cannot be trusted (§6.3).
        if let other = codings.first(where: { $0 != "chunked" }) {
            throw HTTPParserError(.unsupportedTransferCoding, "transfer coding \(HTTPSyntax.snippet(Array(other.utf8))) is not implemented")
        }
        guard codings.count == 1 else {
            throw HTTPParserError(.invalidTransferEncoding, "chunked applied more than once (RFC 9112 §7.1)")
        }
    }

    /// Exactly one Content-Length line of 1*DIGIT (RFC 9110 §8.6). Lists and repeats are rejected
    /// even when equal: strict framing leaves nothing for a front end to disagree about.
    static func parseContentLength(_ values: [String]) throws(HTTPParserError) -> Int {
        guard values.count == 1, let value = values.first, !value.utf8.contains(UInt8(ascii: ",")) else {
            throw HTTPParserError(.duplicateContentLength, "Content-Length must appear exactly once with a single value")
        }
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy(HTTPSyntax.isDigit) else {
            throw HTTPParserError(.invalidContentLength, "Content-Length is not a decimal number: \(HTTPSyntax.snippet(bytes))")
        }
        var length = 0
        for b in bytes {
            let (times, o1) = length.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(b - 0x30))
            guard !o1, !o2 else {
                throw HTTPParserError(.invalidContentLength, "Content-Length overflows: \(HTTPSyntax.snippet(bytes))")
            }
            length = sum
        }
        return length
    }
}
