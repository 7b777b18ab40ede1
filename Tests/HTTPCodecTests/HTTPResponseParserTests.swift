import HTTPCodec
import Testing

struct HTTPResponseParserTests {
    @Test func contentLengthBody() throws {
        let result = ResponseParserVerifier().verify("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello")
        #expect(result.mismatch == nil)
        let head = try #require(result.heads.first)
        #expect(head.version == .http1_1)
        #expect(head.status == 200)
        #expect(head.reason == "OK")
        #expect(head.headers["x-a"] == "b")
        #expect(result.body == Array("hello".utf8))
        #expect(result.events.last == .end)
        #expect(result.errorKind == nil)
    }

    @Test func chunkedBody() {
        let result = ResponseParserVerifier().verify(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\na;x=y\r\n: {\"a\":1}\n\r\n0\r\nX-T: 1\r\n\r\n")
        #expect(result.mismatch == nil)
        #expect(result.body == Array("data: {\"a\":1}\n".utf8))
        #expect(result.events.last == .end)
    }

    @Test func closeDelimitedBodyEndsAtEndOfInput() {
        let result = ResponseParserVerifier().verify("HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\ndata: 2\n\n")
        #expect(result.mismatch == nil)
        #expect(result.heads.first?.version == .http1_0)
        #expect(result.body == Array("data: 1\n\ndata: 2\n\n".utf8))
        #expect(result.events.last == .end)
        let open = ResponseParserVerifier(endOfInput: false).verify("HTTP/1.1 200 OK\r\n\r\nabc")
        #expect(open.events.last == .body(Array("abc".utf8)))
    }

    @Test func switchingProtocolsLeavesTheRestInRemainingBytes() throws {
        let frame: [UInt8] = [0x81, 0x02, 0x68, 0x69]
        let input = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8) + frame
        let result = ResponseParserVerifier(endOfInput: false).verify(input)
        #expect(result.mismatch == nil)
        #expect(result.events.count == 1)
        #expect(result.heads.first?.status == 101)
        #expect(result.heads.first?.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(result.remaining == frame)

        var parser = HTTPResponseParser()
        parser.append(input)
        guard case .head? = try parser.next() else { Issue.record("expected head"); return }
        #expect(parser.isUpgraded)
        #expect(try parser.next() == nil)
        parser.append([0x88, 0x00])
        #expect(parser.remainingBytes == frame + [0x88, 0x00])
    }

    @Test func headResponseHasNoBody() {
        let result = ResponseParserVerifier(requestMethodWasHEAD: true).verify(
            "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
        #expect(result.mismatch == nil)
        #expect(result.heads.map(\.status) == [200, 204])
        #expect(result.events.count == 4)
        #expect(result.body.isEmpty)
    }

    @Test func bodylessStatuses() {
        let result = ResponseParserVerifier().verify(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
        #expect(result.mismatch == nil)
        #expect(result.heads.map(\.status) == [100, 304, 204])
        #expect(result.events.count == 6)
    }

    @Test func keepAliveSequenceWithMethodReset() throws {
        var parser = HTTPResponseParser(requestMethodWasHEAD: true)
        parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n".utf8))
        guard case .head? = try parser.next() else { Issue.record("expected head"); return }
        #expect(try parser.next() == .end)
        parser.setRequestMethod(.get)
        parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc".utf8))
        guard case .head? = try parser.next() else { Issue.record("expected head"); return }
        #expect(try parser.next() == .body(Array("abc".utf8)))
        #expect(try parser.next() == .end)
    }

    @Test func missingReasonPhraseIsTolerated() {
        let result = ResponseParserVerifier().verify("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n")
        #expect(result.heads.first?.status == 404)
        #expect(result.heads.first?.reason == "")
    }

    @Test(arguments: [
        ("HTTP/1.1 2000 OK\r\n\r\n", HTTPParserError.Kind.invalidStatusLine),
        ("HTTP/1.1 20x OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 099 Low\r\n\r\n", .invalidStatusLine),
        ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion),
        ("HTTP/1.1 200 OK\nContent-Length: 0\n\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", .truncatedMessage),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n", .invalidChunkSize),
        ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", .bodyTooLarge),
    ])
    func rejects(input: String, kind: HTTPParserError.Kind) {
        let result = ResponseParserVerifier(limits: HTTPParserLimits(maxBodyBytes: 50)).verify(input)
        #expect(result.mismatch == nil)
        #expect(result.errorKind == kind)
    }

    @Test func transferCodingNotEndingInChunkedIsCloseDelimited() {
        let result = ResponseParserVerifier().verify("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw")
        #expect(result.body == Array("raw".utf8))
        #expect(result.events.last == .end)
    }
}
