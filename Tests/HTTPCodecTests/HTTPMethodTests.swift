import HTTPCodec
import Testing

struct HTTPMethodTests {
    @Test func methodsAreCaseSensitiveTokens() {
        #expect(HTTPMethod.get.rawValue == "GET")
        #expect(HTTPMethod(rawValue: "get") != .get)
        #expect(HTTPMethod.connect.description == "CONNECT")
        #expect(Set([HTTPMethod.get, .head, .post, .put, .delete, .options, .patch, .trace, .connect]).count == 9)
        #expect(HTTPVersion.http1_0.description == "HTTP/1.0")
        #expect(HTTPVersion.http1_1.description == "HTTP/1.1")
    }
}
