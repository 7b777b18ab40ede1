import Testing
@testable import SparkCodec

@Suite struct SparkResponseFrameTests {
    @Test func isLastFromEitherStatus() {
        #expect(SparkResponseFrame(sid: nil, status: 2).isLast)
        #expect(SparkResponseFrame(sid: nil, status: 1, choicesStatus: 2).isLast)
        #expect(!SparkResponseFrame(sid: nil, status: 1, choicesStatus: 1).isLast)
    }

    @Test func eventMapping() {
        #expect(SparkResponseFrame(sid: nil, status: 1, content: "a").event == .content(text: "a", reasoning: nil, isLast: false))
        #expect(SparkResponseFrame(sid: nil, status: 2, functionCall: SparkFunctionCall(name: "f", arguments: "{}")).event
            == .functionCall(name: "f", arguments: "{}", isLast: true))
        #expect(SparkResponseFrame(sid: nil, status: 1, hasChoices: false, pluginsJSON: [1]).event == .plugin(rawJSON: [1]))
        #expect(SparkResponseFrame(sid: nil, status: 2, hasChoices: false).event == .content(text: "", reasoning: nil, isLast: true))
    }
}
