import Testing
@testable import SparkCodec

@Suite struct SparkTokenEstimatorTests {
    @Test func followsTheRuleOfThumb() {
        #expect(SparkTokenEstimator.estimate("") == 0)
        #expect(SparkTokenEstimator.estimate("合肥是") == 2)      // 3 CJK / 1.5
        #expect(SparkTokenEstimator.estimate("合") == 1)
        #expect(SparkTokenEstimator.estimate("one two three four") == 5) // 4 words / 0.8
        #expect(SparkTokenEstimator.estimate("hi 你好") == 2 + 2)
        #expect(SparkTokenEstimator.estimate([SparkChatMessage(role: .user, content: "a"), SparkChatMessage(role: .assistant, content: "b")]) == 4)
    }
}
