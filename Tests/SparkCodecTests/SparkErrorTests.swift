import Testing
@testable import SparkCodec

@Suite struct SparkErrorTests {
    @Test func descriptions() {
        #expect(SparkError.upstream(code: 11200, message: "AppIdNoAuthError", sid: "cht1").description == "Spark error 11200: AppIdNoAuthError (sid cht1)")
        #expect(SparkError.upstream(code: 1, message: "m", sid: nil).description == "Spark error 1: m")
        #expect(SparkError.malformedFrame("x").description == "malformed Spark frame: x")
        #expect(SparkError.frameAfterEnd.description.contains("after the end"))
        #expect(SparkError.closedBeforeEnd(sid: "s").description.contains("(sid s)"))
    }
}
