@testable import SparkKit
import SparkUpstream
import Testing

@Suite struct SparkClientErrorMappingTests {
    @Test func everyUpstreamKindMapsToItsPublicCase() {
        func map(_ kind: SparkUpstreamError.Kind, sid: String? = "cht1") -> SparkClientError {
            SparkClientError(SparkUpstreamError(kind: kind, message: "diagnosis", sid: sid), path: "/v3.5/chat")
        }
        #expect(map(.unreachable) == .unreachable(diagnosis: "diagnosis"))
        #expect(map(.tls) == .tls(diagnosis: "diagnosis"))
        #expect(map(.unauthorized) == .unauthorized(diagnosis: "diagnosis"))
        #expect(map(.clockSkew(seconds: -400)) == .clockSkew(seconds: -400, diagnosis: "diagnosis"))
        #expect(map(.forbidden) == .forbidden(diagnosis: "diagnosis"))
        #expect(map(.notFound) == .notFound(path: "/v3.5/chat", diagnosis: "diagnosis"))
        #expect(map(.handshakeFailed(status: 500)) == .handshakeFailed(status: 500, diagnosis: "diagnosis"))
        #expect(map(.timeout(.connect)) == .timeout(.connect, diagnosis: "diagnosis"))
        #expect(map(.timeout(.handshake)) == .timeout(.handshake, diagnosis: "diagnosis"))
        #expect(map(.timeout(.firstFrame)) == .timeout(.firstFrame, diagnosis: "diagnosis"))
        #expect(map(.timeout(.idle)) == .timeout(.idle, diagnosis: "diagnosis"))
        #expect(map(.spark(code: 10013)) == .spark(code: 10013, message: "diagnosis", sid: "cht1"))
        #expect(map(.protocolError) == .protocolError(sid: "cht1", diagnosis: "diagnosis"))
        #expect(map(.malformedFrame) == .protocolError(sid: "cht1", diagnosis: "diagnosis"))
        #expect(map(.closedBeforeEnd) == .closedBeforeEnd(sid: "cht1", diagnosis: "diagnosis"))
    }

    @Test func descriptionsNameTheProblem() {
        #expect(SparkClientError.spark(code: 11200, message: "quota", sid: "cht9").description == "Spark error 11200: quota (sid cht9)")
        #expect(SparkClientError.cancelled.localizedDescription == "the Spark request was cancelled")
        #expect(SparkClientError.unknownModel(name: "gpt", available: ["lite", "x1"]).description == "unknown model 'gpt'; available: lite, x1")
    }
}
