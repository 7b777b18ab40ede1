@testable import SparkKit
import Testing

@Suite struct ChatRequestValidationTests {
    private func reject(_ request: ChatRequest) -> String? {
        do throws(SparkClientError) {
            _ = try request.validated(against: .default)
            return nil
        } catch {
            if case .invalidParameter(let name, _) = error { return name }
            if case .unknownModel = error { return "model" }
            return "\(error)"
        }
    }

    @Test func aValidRequestBuildsTheFrameForTheModelsDomain() throws {
        let request = ChatRequest(model: "Spark-Max", messages: [
            SparkChatMessage(role: .system, content: "简洁"),
            SparkChatMessage(role: .user, content: "你好"),
        ], temperature: 0.5, maxTokens: 100, topK: 4, uid: "u1")
        let validated = try request.validated(against: .default)
        let frame = validated.webSocketRequest(appID: "app", defaultUID: nil)
        #expect(validated.model.name == "generalv3.5")
        #expect(frame.domain == "generalv3.5")
        #expect(frame.appID == "app")
        #expect(frame.uid == "u1")
        #expect(frame.temperature == 0.5)
        #expect(frame.maxTokens == 100)
        #expect(frame.topK == 4)
        #expect(frame.messages.count == 2)
    }

    @Test(arguments: [
        (ChatRequest(model: "nope", prompt: "x"), "model"),
        (ChatRequest(messages: []), "messages"),
        (ChatRequest(prompt: "  "), "messages[0].content"),
        (ChatRequest(messages: [SparkChatMessage(role: .init(rawValue: "tool"), content: "x")]), "messages[0].role"),
        (ChatRequest(messages: [SparkChatMessage(role: .user, content: "a"), SparkChatMessage(role: .system, content: "b")]), "messages[1].role"),
        (ChatRequest(messages: [SparkChatMessage(role: .user, content: "a"), SparkChatMessage(role: .assistant, content: "b")]), "messages[1].role"),
        (ChatRequest(prompt: "x", temperature: 0), "temperature"),
        (ChatRequest(prompt: "x", temperature: 1.5), "temperature"),
        (ChatRequest(prompt: "x", maxTokens: 0), "maxTokens"),
        (ChatRequest(prompt: "x", maxTokens: 8193), "maxTokens"),
        (ChatRequest(prompt: "x", topK: 7), "topK"),
        (ChatRequest(prompt: "x", uid: String(repeating: "u", count: 33)), "uid"),
        (ChatRequest(model: "lite", prompt: "x", functions: [SparkFunction(name: "f", description: "", parametersJSON: [])]), "functions"),
        (ChatRequest(prompt: "x", functions: [SparkFunction(name: "", description: "", parametersJSON: [])]), "functions[0].name"),
        (ChatRequest(prompt: "x", functions: [SparkFunction(name: "f", description: "", parametersJSON: Array("[1]".utf8))]), "functions[0].parameters"),
    ])
    func invalidRequestsNameTheirParameter(request: ChatRequest, parameter: String) {
        #expect(reject(request) == parameter)
    }

    @Test func x1AcceptsTemperatureUpToTwo() {
        #expect(reject(ChatRequest(model: "x1", prompt: "x", temperature: 1.5)) == nil)
    }
}
