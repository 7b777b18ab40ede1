import HTTPCodec
import Testing

struct HTTPStatusTests {
    @Test func standardPhrases() {
        #expect(HTTPStatus(code: 413).reasonPhrase == "Content Too Large")
        #expect(HTTPStatus.payloadTooLarge == HTTPStatus(code: 413, reasonPhrase: "Content Too Large"))
        #expect(HTTPStatus.httpVersionNotSupported.code == 505)
        #expect(HTTPStatus.requestHeaderFieldsTooLarge.reasonPhrase == "Request Header Fields Too Large")
        #expect(HTTPStatus(code: 299).reasonPhrase == "")
        #expect(HTTPStatus.continue.isInformational)
        #expect(HTTPStatus.ok.description == "200 OK")
    }

    @Test func parserErrorStatuses() {
        #expect(HTTPParserError(.uriTooLong, "x").status.code == 414)
        #expect(HTTPParserError(.unsupportedTransferCoding, "x").status.code == 501)
        #expect(HTTPParserError(.tooManyHeaders, "x").status.code == 431)
        #expect(HTTPParserError(.invalidMethod, "x").status.code == 400)
        #expect(HTTPParserError(.bodyTooLarge, "x").description == "413 bodyTooLarge: x")
    }
}
