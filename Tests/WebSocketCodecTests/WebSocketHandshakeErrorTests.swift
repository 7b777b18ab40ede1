import Testing
@testable import WebSocketCodec

@Suite struct WebSocketHandshakeErrorTests {
    @Test func responseHeadersOnlyForVersionMismatch() {
        #expect(WebSocketHandshakeError(.unsupportedVersion(nil), httpStatus: 426, "").responseHeaders.count == 1)
        #expect(WebSocketHandshakeError(.invalidKey, httpStatus: 400, "").responseHeaders.isEmpty)
    }

    @Test func descriptionCarriesKindAndStatus() {
        let error = WebSocketHandshakeError(.unexpectedStatus(403), httpStatus: 403, "server answered 403")
        #expect(error.description.contains("403"))
        #expect(error.description.contains("unexpectedStatus"))
        #expect(!WebSocketHandshakeError(.acceptMismatch, httpStatus: nil, "m").description.contains("HTTP"))
    }
}
