@testable import SparkKit
import Testing

/// The exact `invalidParameter` SparkKit throws for each of Spark's request rules.
@Suite struct ChatRequestRuleMessagesTests {
    private func error(_ request: ChatRequest) -> String? {
        do throws(SparkClientError) {
            _ = try request.validated(against: .default)
            return nil
        } catch {
            #expect(error.isInvalidRequest)
            return error.description
        }
    }

    @Test(arguments: [
        (ChatRequest(messages: []), "invalid messages: at least one message (the user's question) is required"),
        (ChatRequest(messages: [SparkChatMessage(role: .init(rawValue: "tool"), content: " ")]),
         "invalid messages[0].role: must be system, user or assistant, got 'tool'"),
        (ChatRequest(prompt: "\n"), "invalid messages[0].content: must not be empty"),
        (ChatRequest(messages: [SparkChatMessage(role: .user, content: "a"), SparkChatMessage(role: .system, content: "b")]),
         "invalid messages[1].role: a system message must come first"),
        (ChatRequest(messages: [SparkChatMessage(role: .user, content: "a"), SparkChatMessage(role: .assistant, content: "b")]),
         "invalid messages[1].role: the last message must have role user (the question to answer)"),
        (ChatRequest(prompt: "x", temperature: 0), "invalid temperature: must be in (0.0, 1.0] for model generalv3.5, got 0.0"),
        (ChatRequest(model: "x1", prompt: "x", temperature: 2.5), "invalid temperature: must be in (0.0, 2.0] for model x1, got 2.5"),
        (ChatRequest(prompt: "x", maxTokens: 8193), "invalid maxTokens: must be from 1 to 8192 for model generalv3.5, got 8193"),
        (ChatRequest(prompt: "x", topK: 0), "invalid topK: must be from 1 to 6, got 0"),
        (ChatRequest(prompt: "x", uid: ""), "invalid uid: must be 1 to 32 characters"),
        (ChatRequest(prompt: "x", uid: String(repeating: "e\u{301}", count: 17)), "invalid uid: must be 1 to 32 characters"),
        (ChatRequest(model: "lite", prompt: "x", functions: [SparkFunction(name: "f", description: "", parametersJSON: [])]),
         "invalid functions: model lite does not support function calling"),
        (ChatRequest(prompt: "x", functions: [SparkFunction(name: "", description: "", parametersJSON: [])]),
         "invalid functions[0].name: must not be empty"),
        (ChatRequest(prompt: "x", functions: [SparkFunction(name: "f", description: "", parametersJSON: Array("1".utf8))]),
         "invalid functions[0].parameters: must be a JSON Schema object"),
    ])
    func messages(request: ChatRequest, expected: String) {
        #expect(error(request) == expected)
    }

    @Test func boundaryValuesPass() {
        #expect(error(ChatRequest(prompt: "x", temperature: 1, maxTokens: 8192, topK: 6, uid: String(repeating: "u", count: 32))) == nil)
        #expect(error(ChatRequest(model: "x1", prompt: "x", temperature: 2, maxTokens: 32768, topK: 1)) == nil)
    }
}
