import Testing
@testable import SparkCodec

@Suite struct SparkHTTPErrorBodyTests {
    static func parse(_ status: Int, _ body: String) -> SparkHTTPFailure {
        SparkHTTPErrorBody.parse(status: status, body: Array(body.utf8))
    }

    @Test func invalidUser() {
        let failure = Self.parse(401, #"{"error":{"message":"invalid user","type":"api_error","param":null,"code":null}}"#)
        #expect(failure.kind == .unauthorized)
        #expect(failure.message == "invalid user")
        #expect(failure.errorType == "api_error")
        #expect(failure.code == nil)
        // The message alone is enough, whatever the status.
        #expect(Self.parse(400, #"{"error":{"message":"Invalid user"}}"#).kind == .unauthorized)
        #expect(Self.parse(403, #"{"error":{"message":"x","code":"invalid_user"}}"#).kind == .unauthorized)
    }

    @Test func sparkCodes() {
        let body = Self.parse(200, #"{"code":11200,"message":"AppIdNoAuthError","sid":"cha000x"}"#)
        #expect(body.kind == .spark(code: 11200) && body.code == 11200)
        #expect(body.message == "AppIdNoAuthError" && body.sid == "cha000x")
        #expect(Self.parse(400, #"{"error":{"message":"audit","code":"10013"}}"#).kind == .spark(code: 10013))
        #expect(Self.parse(500, #"{"error":{"message":"busy","code":10110}}"#).kind == .spark(code: 10110))
        // A zero code is not an error code: the status decides.
        #expect(Self.parse(404, #"{"code":0,"message":"Not Found"}"#).kind == .notFound)
    }

    @Test func byStatus() {
        #expect(Self.parse(401, "").kind == .unauthorized)
        #expect(Self.parse(401, "").message == "HTTP 401")
        #expect(Self.parse(403, #"{"message":"Your IP address is not allowed"}"#).kind == .forbidden)
        #expect(Self.parse(404, "<html>not found</html>").kind == .notFound)
        #expect(Self.parse(404, "<html>not found</html>").message == "<html>not found</html>")
        #expect(Self.parse(429, "{}").kind == .rateLimited)
        #expect(Self.parse(413, "{}").kind == .badRequest)
        #expect(Self.parse(502, "bad gateway").kind == .serverError)
        #expect(Self.parse(302, "").kind == .other)
    }

    @Test func messagesAreSafeToLog() {
        let long = Self.parse(500, String(repeating: "x", count: 5000))
        #expect(long.message.count == SparkHTTPErrorBody.maxMessageLength)
        let control = Self.parse(500, "a\u{1B}[31mb\r\nc")
        #expect(control.message == "a [31mb  c")
        let echoed = Self.parse(401, #"{"error":{"message":"bad header Authorization: Bearer key123:secret456, try again"}}"#)
        #expect(!echoed.message.contains("secret456"))
        #expect(echoed.message == "bad header Authorization: Bearer <redacted>, try again")
        #expect(echoed.description.hasPrefix("Spark HTTP 401 (unauthorized): "))
    }
}
