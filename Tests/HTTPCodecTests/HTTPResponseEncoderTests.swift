import HTTPCodec
import Testing

struct HTTPResponseEncoderTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func contentLengthFramingReplacesCallerFraming() throws {
        let head = HTTPResponseHead(status: .ok, headers: [
            "Content-Type": "application/json", "content-length": "999", "Transfer-Encoding": "gzip", "Connection": "close",
        ])
        let out = try HTTPResponseEncoder.encodeHead(head, framing: .contentLength(2), keepAlive: true)
        #expect(text(out) == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n")
    }

    @Test func chunkedFramingAndClose() throws {
        let out = try HTTPResponseEncoder.encodeHead(HTTPResponseHead(status: .ok), framing: .chunked, keepAlive: false)
        #expect(text(out) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    }

    @Test func closeDelimitedAlwaysCloses() throws {
        let head = HTTPResponseHead(status: .ok, headers: ["Content-Type": "text/event-stream", "Connection": "keep-alive"])
        let out = try HTTPResponseEncoder.encodeHead(head, framing: .closeDelimited, keepAlive: true)
        #expect(text(out) == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
    }

    @Test func http10KeepAlive() throws {
        let head = HTTPResponseHead(status: .notFound, version: .http1_0)
        let out = try HTTPResponseEncoder.encodeHead(head, framing: .contentLength(0), keepAlive: true)
        #expect(text(out) == "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test func http11ResponseToHTTP10ClientSaysKeepAlive() throws {
        let head = HTTPResponseHead(status: .ok)
        let kept = try HTTPResponseEncoder.encodeHead(head, framing: .contentLength(0), keepAlive: true, requestVersion: .http1_0)
        #expect(text(kept) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
        let plain = try HTTPResponseEncoder.encodeHead(head, framing: .contentLength(0), keepAlive: true, requestVersion: .http1_1)
        #expect(text(plain) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func upgradeTokenSurvives() throws {
        let head = HTTPResponseHead(status: .switchingProtocols, headers: ["Upgrade": "websocket", "Connection": "Upgrade"])
        let out = try HTTPResponseEncoder.encodeHead(head, framing: .none, keepAlive: true)
        #expect(text(out) == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
    }

    @Test func noFramingFor204() throws {
        let out = try HTTPResponseEncoder.encodeHead(HTTPResponseHead(status: .noContent, headers: ["Content-Length": "0"]), framing: .none, keepAlive: true)
        #expect(text(out) == "HTTP/1.1 204 No Content\r\n\r\n")
    }

    @Test func validation() {
        func kind(_ head: HTTPResponseHead, _ framing: HTTPBodyFraming = .contentLength(0)) -> HTTPHeaderValidationError.Kind? {
            do {
                _ = try HTTPResponseEncoder.encodeHead(head, framing: framing, keepAlive: true)
                return nil
            } catch {
                return error.kind
            }
        }
        #expect(kind(HTTPResponseHead(status: .ok, headers: ["X-A": "a\r\nSet-Cookie: x"])) == .invalidValue)
        #expect(kind(HTTPResponseHead(status: .ok, headers: ["X-A": "a\nb"])) == .invalidValue)
        #expect(kind(HTTPResponseHead(status: .ok, headers: ["X-A": "a\u{0}b"])) == .invalidValue)
        #expect(kind(HTTPResponseHead(status: .ok, headers: ["Bad Name": "v"])) == .invalidName)
        #expect(kind(HTTPResponseHead(status: .ok, headers: ["": "v"])) == .invalidName)
        #expect(kind(HTTPResponseHead(status: .ok, headers: ["X:A": "v"])) == .invalidName)
        #expect(kind(HTTPResponseHead(status: HTTPStatus(code: 200, reasonPhrase: "OK\r\nX: y"))) == .invalidReasonPhrase)
        #expect(kind(HTTPResponseHead(status: HTTPStatus(code: 42))) == .invalidStatusCode)
        #expect(kind(HTTPResponseHead(status: .ok), .contentLength(-1)) == .invalidContentLength)
        #expect(kind(HTTPResponseHead(status: .noContent), .contentLength(0)) == .framingNotAllowed)
        #expect(kind(HTTPResponseHead(status: .continue), .chunked) == .framingNotAllowed)
        #expect(kind(HTTPResponseHead(status: .ok, version: .http1_0), .chunked) == .chunkedRequiresHTTP11)
        #expect(kind(HTTPResponseHead(status: .ok, headers: ["X-A": "tab\tok"])) == nil)
    }

    @Test func chunks() {
        #expect(HTTPResponseEncoder.encodeChunk(Array("hello".utf8)) == Array("5\r\nhello\r\n".utf8))
        #expect(HTTPResponseEncoder.encodeChunk([UInt8](repeating: 0x61, count: 26)).prefix(4) == Array("1a\r\n".utf8)[...])
        #expect(HTTPResponseEncoder.encodeChunk([UInt8]()) == [])
        #expect(HTTPResponseEncoder.lastChunk == Array("0\r\n\r\n".utf8))
        #expect(HTTPResponseEncoder.continueResponse() == Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
    }

    @Test func encodedResponseParsesBack() throws {
        var bytes = try HTTPResponseEncoder.encodeHead(HTTPResponseHead(status: .ok, headers: ["X-A": "1"]), framing: .chunked, keepAlive: true)
        bytes += HTTPResponseEncoder.encodeChunk(Array("hello ".utf8)) + HTTPResponseEncoder.encodeChunk(Array("world".utf8))
        bytes += HTTPResponseEncoder.lastChunk
        let result = ResponseParserVerifier(endOfInput: false).verify(bytes)
        #expect(result.mismatch == nil)
        #expect(result.body == Array("hello world".utf8))
        #expect(result.events.last == .end)
    }
}
