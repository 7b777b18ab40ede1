import Testing
@testable import SparkCodec

/// The code table is the one place a Spark code is classified: these pin what it says.
@Suite struct SparkErrorCodeTests {
    @Test(arguments: [10013, 10014, 10019, 10021])
    func moderationCodesAreContentFilter(code: Int) {
        #expect(SparkErrorCode.info(for: code).isModeration)
    }

    @Test(arguments: [10006, 10007, 11201, 11202, 11203])
    func rateCodesAre429(code: Int) {
        let info = SparkErrorCode.info(for: code)
        #expect(info.httpStatus == 429)
        #expect(info.openAIError.status == 429)
        #expect(info.openAIError.retryAfterSeconds != nil)
    }

    @Test func relayHints() {
        #expect(SparkErrorCode.info(for: 10907).openAIError.code == "context_length_exceeded")
        #expect(SparkErrorCode.info(for: 10907).httpStatus == 400)
        #expect(SparkErrorCode.info(for: 10013).httpStatus == 400)
        #expect(SparkErrorCode.info(for: 11200).httpStatus == 403)
        #expect(SparkErrorCode.info(for: 10008).httpStatus == 503)
        #expect(SparkErrorCode.info(for: 10110).httpStatus == 503)
        #expect(SparkErrorCode.info(for: 10003).httpStatus == 502)
        let retryable = SparkErrorCode.knownCodes.filter { SparkErrorCode.info(for: $0).retryable }
        #expect(retryable == [10000, 10008, 10009, 10110, 10222, 11202, 11203])
        let failover = SparkErrorCode.knownCodes.filter { SparkErrorCode.info(for: $0).failsOver }
        #expect(failover == [10016, 11200, 11201, 11202, 11203])
        #expect(SparkErrorCode.knownCodes.count == 28)
        #expect(SparkErrorCode.knownCodes.allSatisfy { !SparkErrorCode.info(for: $0).summary.isEmpty })
    }

    /// What OpenAI clients are told, code by code (their SDKs raise by status and type).
    @Test func openAIErrors() {
        let expected: [Int: (Int, String, String)] = [
            10006: (429, "rate_limit_error", "spark_10006"), 10007: (429, "rate_limit_error", "spark_10007"),
            10008: (429, "rate_limit_error", "spark_10008"), 10110: (429, "rate_limit_error", "spark_10110"),
            11202: (429, "rate_limit_error", "spark_11202"), 11203: (429, "rate_limit_error", "spark_11203"),
            11201: (429, "insufficient_quota", "spark_11201"),
            11200: (403, "permission_error", "spark_11200"), 10015: (403, "permission_error", "spark_10015"),
            10016: (403, "permission_error", "spark_10016"),
            10907: (400, "invalid_request_error", "context_length_exceeded"),
            10005: (400, "invalid_request_error", "spark_10005"), 10163: (400, "invalid_request_error", "spark_10163"),
            10013: (502, "upstream_error", "spark_10013"), 10012: (502, "upstream_error", "spark_10012"),
            12345: (502, "upstream_error", "spark_12345"),
        ]
        for (code, (status, type, openAICode)) in expected {
            let error = SparkErrorCode.info(for: code).openAIError
            #expect(error.status == status && error.type == type && error.code == openAICode, "\(code)")
        }
        #expect(SparkErrorCode.info(for: 11201).openAIError.retryAfterSeconds == 60)
        #expect(SparkErrorCode.info(for: 11202).openAIError.retryAfterSeconds == 1)
    }

    @Test func unknownCodesAre502() {
        let info = SparkErrorCode.info(for: 12345)
        #expect(info == SparkErrorInfo(code: 12345, summary: "Spark error 12345", httpStatus: 502))
        #expect(!info.retryable && !info.failsOver && !info.isModeration)
    }
}
