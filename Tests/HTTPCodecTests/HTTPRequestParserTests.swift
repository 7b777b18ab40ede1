import HTTPCodec
import Testing

/// Valid request forms, each run through `ParserVerifier` (whole, byte by byte, every split).
struct HTTPRequestParserTests {
    let verifier = ParserVerifier()

    private func single(_ input: String, limits: HTTPParserLimits = HTTPParserLimits()) -> (HTTPRequestHead?, [UInt8], ParserVerifier.Result) {
        let result = ParserVerifier(limits: limits).verify(input)
        return (result.heads.first, result.bodies.first ?? [], result)
    }

    @Test func simpleGet() throws {
        let (head, _, result) = single("GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")
        #expect(result.mismatch == nil)
        #expect(result.error == nil)
        let h = try #require(head)
        #expect(h.method == .get)
        #expect(h.target == "/index.html")
        #expect(h.path == "/index.html")
        #expect(h.query == nil)
        #expect(h.version == .http1_1)
        #expect(h.host == "example.com")
        #expect(h.keepAlive)
        #expect(!h.expectsContinue)
        #expect(h.headers["accept"] == "*/*")
        #expect(result.events == [.head(h), .end])
    }

    @Test func queryIsSplitOffAndStaysEncoded() throws {
        let (head, _, result) = single("GET /a%20b/c?q=1&x=%2F HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(result.mismatch == nil)
        let h = try #require(head)
        #expect(h.path == "/a%20b/c")
        #expect(h.query == "q=1&x=%2F")
        let (empty, _, _) = single("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(empty?.query == "")
    }

    @Test func postWithContentLength() throws {
        let (head, body, result) = single("POST /chat HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(result.mismatch == nil)
        #expect(result.error == nil)
        #expect(head?.method == .post)
        #expect(body == Array("hello world".utf8))
        #expect(result.events.last == .end)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let input = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n"
            + "6 ; q=\"a \\\"b\\\"\" ; flag\r\n world\r\n"
            + "000\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        let (head, body, result) = single(input)
        #expect(result.mismatch == nil)
        #expect(result.error == nil)
        #expect(head?.headers["transfer-encoding"] == "chunked")
        #expect(body == Array("hello world".utf8))
        #expect(result.events.count == 3)
    }

    @Test func chunkedCodingIsCaseInsensitive() {
        let (_, body, result) = single("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")
        #expect(result.error == nil)
        #expect(body == [UInt8(ascii: "x")])
    }

    @Test func pipelinedGetPostGet() throws {
        let input = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
            + "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
        let result = verifier.verify(input)
        #expect(result.mismatch == nil)
        #expect(result.error == nil)
        #expect(result.heads.map(\.path) == ["/1", "/2", "/3"])
        #expect(result.events.count == 7)
        #expect(result.events[3] == .body(Array("abc".utf8)))
        #expect(result.events[4] == .end)
    }

    @Test func expectContinueOnlyForHTTP11WithBody() {
        let withBody = single("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(withBody.0?.expectsContinue == true)
        let chunked = single("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(chunked.0?.expectsContinue == true)
        let noBody = single("GET /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")
        #expect(noBody.0?.expectsContinue == false)
        let http10 = single("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(http10.0?.expectsContinue == false)
    }

    @Test func keepAliveSemantics() {
        #expect(single("GET / HTTP/1.0\r\n\r\n").0?.keepAlive == false)
        #expect(single("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").0?.keepAlive == true)
        #expect(single("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").0?.keepAlive == false)
        #expect(single("GET / HTTP/1.1\r\nHost: h\r\n\r\n").0?.keepAlive == true)
        #expect(single("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, CLOSE\r\n\r\n").0?.keepAlive == false)
        #expect(single("GET / HTTP/1.0\r\n\r\n").0?.host == nil)
    }

    @Test func absoluteFormUsesTargetAuthority() throws {
        let (head, _, result) = single("GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: other\r\n\r\n")
        #expect(result.mismatch == nil)
        let h = try #require(head)
        #expect(h.path == "/p/q")
        #expect(h.query == "x=1")
        #expect(h.host == "example.com:8080")
        let (bare, _, _) = single("GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(bare?.path == "/")
        #expect(bare?.host == "example.com")
    }

    @Test func asteriskAndAuthorityForms() {
        let options = single("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(options.0?.path == "*")
        let connect = single("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        #expect(connect.2.error == nil)
        #expect(connect.0?.path == "")
        #expect(connect.0?.host == "example.com:443")
    }

    @Test func leadingEmptyLinesAreIgnored() {
        let result = verifier.verify("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(result.mismatch == nil)
        #expect(result.error == nil)
        #expect(result.heads.count == 1)
        // A client's extra CRLF after a POST body (RFC 9112 §2.2) before the next request.
        let pipelined = verifier.verify("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(pipelined.error == nil)
        #expect(pipelined.heads.count == 2)
    }

    @Test func headerValuesAreTrimmedAndOrdered() throws {
        let (head, _, result) = single("GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a  b \t\r\nx-a: second\r\nX-Empty:\r\nX-Latin: caf\u{E9}\r\n\r\n")
        #expect(result.error == nil)
        let h = try #require(head)
        #expect(h.headers.values(for: "X-A") == ["a  b", "second"])
        #expect(h.headers["x-empty"] == "")
        #expect(h.headers["X-Latin"] == "caf\u{E9}")
        #expect(h.headers.count == 5)
    }

    @Test func methodsAreAnyToken() {
        let (head, _, result) = single("M-SEARCH* / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(result.error == nil)
        #expect(head?.method.rawValue == "M-SEARCH*")
    }

    @Test func bodyIsStreamedBeforeItIsComplete() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhel".utf8))
        guard case .head? = try parser.next() else { Issue.record("expected head"); return }
        #expect(try parser.next() == .body(Array("hel".utf8)))
        #expect(try parser.next() == nil)
        parser.append(Array("lo world!!".utf8))
        #expect(try parser.next() == .body(Array("lo worl".utf8)))
        #expect(try parser.next() == .end)
        #expect(parser.bufferedByteCount == 3)
    }

    @Test func pipelinedBytesStayBufferedWhileTheCallerAnswers() throws {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle)
        let second = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
        parser.append(Array(("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n" + second).utf8))
        #expect(!parser.isIdle)
        guard case .head(let first)? = try parser.next() else { Issue.record("expected head"); return }
        #expect(first.path == "/1")
        #expect(try parser.next() == .end)
        #expect(parser.bufferedByteCount == second.utf8.count)
        #expect(!parser.isIdle)
        guard case .head(let next)? = try parser.next() else { Issue.record("expected head"); return }
        #expect(next.path == "/2")
        #expect(try parser.next() == .end)
        #expect(try parser.next() == nil)
        #expect(parser.isIdle)
        try parser.endOfInput()
    }

    @Test func rawBufferAppend() throws {
        var parser = HTTPRequestParser()
        let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        bytes.withUnsafeBytes { parser.append($0) }
        guard case .head(let head)? = try parser.next() else { Issue.record("expected head"); return }
        #expect(head.path == "/")
    }

    @Test func limitsAreInclusive() {
        // Request line of exactly maxRequestLineBytes is fine; header section of exactly maxHeaderBytes too.
        let line = "GET /abcdef HTTP/1.1"
        let headers = "Host: h\r\n\r\n"
        let limits = HTTPParserLimits(maxRequestLineBytes: line.utf8.count, maxHeaderBytes: headers.utf8.count, maxHeaderCount: 1)
        let result = ParserVerifier(limits: limits).verify(line + "\r\n" + headers)
        #expect(result.mismatch == nil)
        #expect(result.error == nil)
    }

    @Test func publicHeadInitDerivesFields() {
        let head = HTTPRequestHead(method: .get, target: "/x?y", version: .http1_0, headers: ["Host": "h", "Connection": "keep-alive"])
        #expect(head.path == "/x")
        #expect(head.query == "y")
        #expect(head.host == "h")
        #expect(head.keepAlive)
    }
}
