import Testing
@testable import SparkCodec

@Suite struct SparkErrorCodeTests {
    @Test(arguments: [10013, 10014, 10019, 10021])
    func moderationCodesAreContentFilter(code: Int) {
        #expect(SparkErrorCode.info(for: code).openAIType == "content_filter")
    }

    @Test(arguments: [10006, 10007, 11201, 11202, 11203])
    func rateCodesAre429(code: Int) {
        let info = SparkErrorCode.info(for: code)
        #expect(info.httpStatus == 429)
        #expect(info.openAIType == "rate_limit")
    }

    @Test func relayHints() {
        #expect(SparkErrorCode.info(for: 10907).openAIType == "context_length_exceeded")
        #expect(SparkErrorCode.info(for: 10907).httpStatus == 400)
        #expect(SparkErrorCode.info(for: 10013).httpStatus == 400)
        #expect(SparkErrorCode.info(for: 11200).httpStatus == 403)
        #expect(SparkErrorCode.info(for: 10008).httpStatus == 503)
        #expect(SparkErrorCode.info(for: 10110).httpStatus == 503)
        #expect(SparkErrorCode.info(for: 10003).httpStatus == 502)
        let retryable = SparkErrorCode.knownCodes.filter { SparkErrorCode.info(for: $0).retryable }
        #expect(retryable == [10000, 10008, 10009, 10110, 10222, 11202, 11203])
        #expect(SparkErrorCode.knownCodes.count == 28)
        #expect(SparkErrorCode.knownCodes.allSatisfy { !SparkErrorCode.info(for: $0).summary.isEmpty })
    }

    @Test func unknownCodesAre502() {
        let info = SparkErrorCode.info(for: 12345)
        #expect(info == SparkErrorInfo(code: 12345, summary: "Spark error 12345", httpStatus: 502))
        #expect(!info.retryable)
        #expect(info.openAIType == nil)
    }
}
