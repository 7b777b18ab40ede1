import HTTPCodec
import Testing

/// Every rejection kind, each through `ParserVerifier`, checking kind and status.
struct HTTPRequestParserRejectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var kind: HTTPParserError.Kind
        var status: Int
        var limits = HTTPParserLimits()
        var testDescription: String { name }
    }

    static let small = HTTPParserLimits(maxRequestLineBytes: 32, maxHeaderBytes: 64, maxHeaderCount: 3, maxBodyBytes: 10, maxChunkLineBytes: 8)
    static let h = "Host: h\r\n"

    static let cases: [Case] = [
        Case(name: "double space in request line", input: "GET  / HTTP/1.1\r\n\(h)\r\n", kind: .invalidRequestLine, status: 400),
        Case(name: "tab as separator", input: "GET\t/ HTTP/1.1\r\n\(h)\r\n", kind: .invalidRequestLine, status: 400),
        Case(name: "missing version", input: "GET /\r\n\(h)\r\n", kind: .invalidRequestLine, status: 400),
        Case(name: "trailing space", input: "GET / HTTP/1.1 \r\n\(h)\r\n", kind: .invalidRequestLine, status: 400),
        Case(name: "method not a token", input: "G(T / HTTP/1.1\r\n\(h)\r\n", kind: .invalidMethod, status: 400),
        Case(name: "control char in method", input: "G\u{1}T / HTTP/1.1\r\n\(h)\r\n", kind: .invalidMethod, status: 400),
        Case(name: "target with <", input: "GET /a<b HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "target with fragment", input: "GET /a#b HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "bad percent-encoding", input: "GET /%zz HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "relative target", input: "GET index.html HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "asterisk with GET", input: "GET * HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "authority-form with GET", input: "GET example.com:443 HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "CONNECT with origin-form", input: "CONNECT /x HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "CONNECT without port", input: "CONNECT example.com HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "absolute-form with userinfo", input: "GET http://u@h/ HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "non-http scheme", input: "GET ftp://h/ HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "non-ASCII target", input: "GET /caf\u{E9} HTTP/1.1\r\n\(h)\r\n", kind: .invalidTarget, status: 400),
        Case(name: "long target without CRLF", input: "GET /" + String(repeating: "a", count: 40), kind: .uriTooLong, status: 414, limits: small),
        Case(name: "long target with CRLF", input: "GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\n\(h)\r\n", kind: .uriTooLong, status: 414, limits: small),
        Case(name: "HTTP/2.0", input: "GET / HTTP/2.0\r\n\(h)\r\n", kind: .unsupportedVersion, status: 505),
        Case(name: "HTTP/0.9", input: "GET / HTTP/0.9\r\n\(h)\r\n", kind: .unsupportedVersion, status: 505),
        Case(name: "HTTP/1.2", input: "GET / HTTP/1.2\r\n\(h)\r\n", kind: .unsupportedVersion, status: 505),
        Case(name: "lowercase version", input: "GET / http/1.1\r\n\(h)\r\n", kind: .invalidVersion, status: 400),
        Case(name: "HTTP/1.10", input: "GET / HTTP/1.10\r\n\(h)\r\n", kind: .invalidVersion, status: 400),
        Case(name: "too many leading CRLFs", input: "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(h)\r\n", kind: .tooManyLeadingEmptyLines, status: 400),
        Case(name: "obs-fold", input: "GET / HTTP/1.1\r\n\(h)X-A: a\r\n b\r\n\r\n", kind: .obsoleteLineFolding, status: 400),
        Case(name: "whitespace after request line", input: "GET / HTTP/1.1\r\n \(h)\r\n", kind: .obsoleteLineFolding, status: 400),
        Case(name: "space before colon", input: "GET / HTTP/1.1\r\nHost : h\r\n\r\n", kind: .whitespaceBeforeColon, status: 400),
        Case(name: "tab before colon", input: "GET / HTTP/1.1\r\n\(h)Content-Length\t: 0\r\n\r\n", kind: .whitespaceBeforeColon, status: 400),
        Case(name: "invalid field name", input: "GET / HTTP/1.1\r\n\(h)X(A): 1\r\n\r\n", kind: .invalidHeaderName, status: 400),
        Case(name: "empty field name", input: "GET / HTTP/1.1\r\n\(h): 1\r\n\r\n", kind: .invalidHeaderName, status: 400),
        Case(name: "line without colon", input: "GET / HTTP/1.1\r\n\(h)NoColon\r\n\r\n", kind: .invalidHeaderLine, status: 400),
        Case(name: "control char in value", input: "GET / HTTP/1.1\r\n\(h)X-A: a\u{1}b\r\n\r\n", kind: .invalidHeaderValue, status: 400),
        Case(name: "DEL in value", input: "GET / HTTP/1.1\r\n\(h)X-A: a\u{7F}b\r\n\r\n", kind: .invalidHeaderValue, status: 400),
        Case(name: "bare CR in value", input: "GET / HTTP/1.1\r\n\(h)X-A: a\rb\r\n\r\n", kind: .bareCarriageReturn, status: 400),
        Case(name: "bare CR in request line", input: "GET /\r HTTP/1.1\r\n\(h)\r\n", kind: .bareCarriageReturn, status: 400),
        Case(name: "bare LF request line", input: "GET / HTTP/1.1\nHost: h\n\n", kind: .bareLineFeed, status: 400),
        Case(name: "bare LF header line", input: "GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n", kind: .bareLineFeed, status: 400),
        Case(name: "bare LF ending the head", input: "GET / HTTP/1.1\r\n\(h)\n", kind: .bareLineFeed, status: 400),
        Case(name: "bare LF before request", input: "\nGET / HTTP/1.1\r\n\(h)\r\n", kind: .bareLineFeed, status: 400),
        Case(name: "NUL in value", input: "GET / HTTP/1.1\r\n\(h)X-A: a\u{0}b\r\n\r\n", kind: .nulByte, status: 400),
        Case(name: "NUL in request line", input: "GET /\u{0} HTTP/1.1\r\n\(h)\r\n", kind: .nulByte, status: 400),
        Case(name: "HTTP/1.1 without Host", input: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", kind: .missingHost, status: 400),
        Case(name: "two Host fields", input: "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", kind: .duplicateHost, status: 400),
        Case(name: "two Host fields in HTTP/1.0", input: "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", kind: .duplicateHost, status: 400),
        Case(name: "Host with space", input: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", kind: .invalidHost, status: 400),
        Case(name: "Host with userinfo", input: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", kind: .invalidHost, status: 400),
        Case(name: "Host with bad port", input: "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", kind: .invalidHost, status: 400),
        Case(name: "header section too large", input: "GET / HTTP/1.1\r\n\(h)X-Long: " + String(repeating: "v", count: 80), kind: .headersTooLarge, status: 431, limits: small),
        Case(name: "too many header fields", input: "GET / HTTP/1.1\r\n\(h)A: 1\r\nB: 2\r\nC: 3\r\n\r\n", kind: .tooManyHeaders, status: 431, limits: small),
        Case(name: "CL with TE", input: "POST / HTTP/1.1\r\n\(h)Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kind: .contentLengthWithTransferEncoding, status: 400),
        Case(name: "TE with CL", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", kind: .contentLengthWithTransferEncoding, status: 400),
        Case(name: "duplicate equal CL", input: "POST / HTTP/1.1\r\n\(h)Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", kind: .duplicateContentLength, status: 400),
        Case(name: "CL list", input: "POST / HTTP/1.1\r\n\(h)Content-Length: 3, 3\r\n\r\nabc", kind: .duplicateContentLength, status: 400),
        Case(name: "non-digit CL", input: "POST / HTTP/1.1\r\n\(h)Content-Length: 3a\r\n\r\nabc", kind: .invalidContentLength, status: 400),
        Case(name: "signed CL", input: "POST / HTTP/1.1\r\n\(h)Content-Length: +3\r\n\r\nabc", kind: .invalidContentLength, status: 400),
        Case(name: "empty CL", input: "POST / HTTP/1.1\r\n\(h)Content-Length:\r\n\r\n", kind: .invalidContentLength, status: 400),
        Case(name: "overflowing CL", input: "POST / HTTP/1.1\r\n\(h)Content-Length: 99999999999999999999999\r\n\r\n", kind: .invalidContentLength, status: 400),
        Case(name: "gzip then chunked", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: gzip, chunked\r\n\r\n", kind: .unsupportedTransferCoding, status: 501),
        Case(name: "gzip line then chunked line", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .unsupportedTransferCoding, status: 501),
        Case(name: "chunked not final", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked, gzip\r\n\r\n", kind: .unsupportedTransferCoding, status: 501),
        Case(name: "gzip only", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: gzip\r\n\r\n", kind: .unsupportedTransferCoding, status: 501),
        Case(name: "chunked twice", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked, chunked\r\n\r\n", kind: .invalidTransferEncoding, status: 400),
        Case(name: "empty TE", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: ,\r\n\r\n", kind: .invalidTransferEncoding, status: 400),
        Case(name: "TE with parameter", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked;q=1\r\n\r\n", kind: .invalidTransferEncoding, status: 400),
        Case(name: "TE in HTTP/1.0", input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kind: .transferEncodingInHTTP10, status: 400),
        Case(name: "non-hex chunk size", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\nzz\r\n", kind: .invalidChunkSize, status: 400),
        Case(name: "empty chunk size", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n;x\r\n", kind: .invalidChunkSize, status: 400),
        Case(name: "chunk size with junk", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n", kind: .invalidChunkSize, status: 400),
        Case(name: "overflowing chunk size", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n" + String(repeating: "f", count: 17) + "\r\n", kind: .invalidChunkSize, status: 400),
        Case(name: "empty chunk extension", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n", kind: .invalidChunkExtension, status: 400),
        Case(name: "unterminated quoted extension", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n", kind: .invalidChunkExtension, status: 400),
        Case(name: "trailing whitespace in chunk line", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n", kind: .invalidChunkExtension, status: 400),
        Case(name: "chunk line too long", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: h\r\n\r\n5;aaaaaaaaaaaa", kind: .chunkLineTooLong, status: 400, limits: small),
        Case(name: "chunk data not followed by CRLF", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX", kind: .invalidChunkTerminator, status: 400),
        Case(name: "chunk data followed by CR junk", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\rX", kind: .invalidChunkTerminator, status: 400),
        Case(name: "bare LF in chunk line", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n", kind: .bareLineFeed, status: 400),
        Case(name: "invalid trailer field", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n0\r\nBad Name: x\r\n\r\n", kind: .invalidHeaderName, status: 400),
        Case(name: "CL over the limit", input: "POST / HTTP/1.1\r\n\(h)Content-Length: 11\r\n\r\n", kind: .bodyTooLarge, status: 413, limits: small),
        Case(name: "chunks over the limit", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n", kind: .bodyTooLarge, status: 413, limits: small),
        Case(name: "truncated head", input: "GET / HTTP/1.1\r\n\(h)", kind: .truncatedMessage, status: 400),
        Case(name: "truncated body", input: "POST / HTTP/1.1\r\n\(h)Content-Length: 5\r\n\r\nab", kind: .truncatedMessage, status: 400),
        Case(name: "truncated chunked body", input: "POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", kind: .truncatedMessage, status: 400),
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: Case) {
        let result = ParserVerifier(limits: testCase.limits).verify(testCase.input)
        #expect(result.mismatch == nil)
        #expect(result.error?.kind == testCase.kind)
        #expect(result.error?.status.code == testCase.status)
        #expect(result.error?.message.isEmpty == false)
    }

    @Test func everyKindIsCovered() {
        let covered = Set(Self.cases.map(\.kind))
        let responseOnly: Set<HTTPParserError.Kind> = [.invalidStatusLine]
        #expect(Set(HTTPParserError.Kind.allCases).subtracting(covered).subtracting(responseOnly).isEmpty)
    }

    @Test func oversizedContentLengthFailsBeforeAnyBodyArrives() {
        var parser = HTTPRequestParser(limits: Self.small)
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n".utf8))
        #expect(throws: HTTPParserError.self) { try parser.next() }
    }

    @Test func oversizedRequestLineFailsBeforeItsEnd() {
        var parser = HTTPRequestParser(limits: Self.small)
        parser.append(Array(("GET /" + String(repeating: "x", count: 40)).utf8))
        do {
            _ = try parser.next()
            Issue.record("expected 414")
        } catch {
            #expect(error.kind == .uriTooLong)
            #expect(error.status == .uriTooLong)
        }
    }

    @Test func messagesDoNotEchoMuchInput() {
        let long = String(repeating: "<", count: 500)
        let result = ParserVerifier().verify("GET /\(long) HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(result.error?.kind == .invalidTarget)
        #expect((result.error?.message.utf8.count ?? 0) < 160)
    }

    @Test func endOfInputBetweenMessagesIsFine() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        while try parser.next() != nil {}
        try parser.endOfInput()
    }
}
