import Testing
import WebSocketCodec

/// The one ws:// URL parser (RFC 6455 §3): what it accepts, what it refuses, and what it puts on the wire.
@Suite struct WebSocketURLTests {
    @Test func parsesSchemeHostPortAndTarget() throws {
        let url = try #require(WebSocketURL("wss://spark-api.xf-yun.com/v3.5/chat?authorization=YWJj%3D&date=Fri%2C%2005&host=x"))
        #expect(url.isSecure)
        #expect(url.host == "spark-api.xf-yun.com")
        #expect(url.port == 443)
        #expect(url.requestTarget == "/v3.5/chat?authorization=YWJj%3D&date=Fri%2C%2005&host=x")
        #expect(url.path == "/v3.5/chat")
        #expect(url.description == "wss://spark-api.xf-yun.com/v3.5/chat")

        let plain = try #require(WebSocketURL("WS://127.0.0.1:8081"))
        #expect(!plain.isSecure && plain.port == 8081 && plain.requestTarget == "/" && plain.authority == "127.0.0.1:8081")
        let v6 = try #require(WebSocketURL("ws://[::1]:9000?x=1"))
        #expect(v6.host == "::1" && v6.port == 9000 && v6.requestTarget == "/?x=1" && v6.authority == "[::1]:9000")
    }

    @Test(arguments: ["http://x/", "ws://", "ws://user@host/", "ws://host/#frag", "ws://host:0/", "ws://host:65536/",
                      "ws://host:abc/", "ws://[::1/", "ws:///path", "ws://host/a b", "ws://host/a\tb", "ws://host/a\u{7F}",
                      "ws://host/\u{1}", "ws://host/caf\u{E9}", "ws://host/\u{0}", "ws://host:+80/", "ws://host:/", "ws://[::1]x/"])
    func refusesWhatRFC6455AndRFC9112Refuse(text: String) {
        #expect(WebSocketURL(text) == nil)
    }

    @Test func longSignedQueriesParse() throws {
        let query = String(repeating: "authorization=" + String(repeating: "QUJD", count: 100) + "&", count: 4)
        let url = try #require(WebSocketURL("wss://h/p?" + query))
        #expect(url.requestTarget.utf8.count == 3 + query.utf8.count)
    }
}
