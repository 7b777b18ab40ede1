import Foundation
import JSON
import Testing
@testable import SparkCodec

@Suite struct SparkChatRequestTests {
    @Test func fullRequestEncodesExactly() throws {
        let request = SparkChatRequest(
            appID: "12345678", uid: "user-42", domain: "generalv3.5", temperature: 0.5, maxTokens: 4096, topK: 4, chatID: "c1",
            messages: [SparkChatMessage(role: .system, content: "be brief"), SparkChatMessage(role: .user, content: "hi")],
            webSearch: false)
        let expected = #"{"header":{"app_id":"12345678","uid":"user-42"},"parameter":{"chat":{"domain":"generalv3.5","temperature":0.5,"max_tokens":4096,"top_k":4,"chat_id":"c1","tools":[{"type":"web_search","web_search":{"enable":false,"show_ref_label":false,"search_mode":"normal"}}]}},"payload":{"message":{"text":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}}}"#
        let bytes = request.encodeJSON()
        #expect(bytes.utf8String == expected)
        #expect(request.encodeJSON() == bytes)

        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let header = try #require(parsed["header"] as? [String: Any])
        #expect(header["app_id"] as? String == "12345678")
        let chat = try #require((parsed["parameter"] as? [String: Any])?["chat"] as? [String: Any])
        #expect(chat["temperature"] as? Double == 0.5)
        #expect(chat["max_tokens"] as? Int == 4096)
        let text = try #require(((parsed["payload"] as? [String: Any])?["message"] as? [String: Any])?["text"] as? [[String: String]])
        #expect(text == [["role": "system", "content": "be brief"], ["role": "user", "content": "hi"]])
        #expect(try SparkChatRequest.decode(json: bytes) == request)
    }

    @Test func minimalRequestOmitsNilOptionals() throws {
        let request = SparkChatRequest(appID: "a", domain: "lite", messages: [SparkChatMessage(role: .user, content: "你好")])
        #expect(request.encodeJSON().utf8String
            == #"{"header":{"app_id":"a"},"parameter":{"chat":{"domain":"lite"}},"payload":{"message":{"text":[{"role":"user","content":"你好"}]}}}"#)
        #expect(try SparkChatRequest.decode(json: request.encodeJSON()) == request)
    }

    @Test func functionsAndWebSearchOn() throws {
        let parameters = Array(#"{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}"#.utf8)
        let request = SparkChatRequest(
            appID: "a", domain: "4.0Ultra", temperature: 1, messages: [SparkChatMessage(role: .user, content: "天气?")],
            functions: [SparkFunction(name: "get_weather", description: "Weather \"now\"", parametersJSON: parameters),
                        SparkFunction(name: "noop", description: "", parametersJSON: [])],
            webSearch: true)
        let expected = #"{"header":{"app_id":"a"},"parameter":{"chat":{"domain":"4.0Ultra","temperature":1.0,"tools":[{"type":"web_search","web_search":{"enable":true,"show_ref_label":false,"search_mode":"normal"}}]}},"payload":{"message":{"text":[{"role":"user","content":"天气?"}]},"functions":{"text":[{"name":"get_weather","description":"Weather \"now\"","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}},{"name":"noop","description":"","parameters":{}}]}}}"#
        #expect(request.encodeJSON().utf8String == expected)
        var roundTripped = request
        roundTripped.functions[1].parametersJSON = Array("{}".utf8)
        #expect(try SparkChatRequest.decode(json: request.encodeJSON()) == roundTripped)
    }

    @Test func stringsAreEscaped() throws {
        let content = "quote\" backslash\\ nl\n cr\r tab\t bs\u{8} ff\u{C} nul\u{0} us\u{1F} del\u{7F} ls\u{2028} ps\u{2029} e2\u{2030} emoji😀 slash/"
        let request = SparkChatRequest(appID: "a", domain: "lite", messages: [SparkChatMessage(role: .user, content: content)])
        let text = request.encodeJSON().utf8String
        #expect(text.contains(#""quote\" backslash\\ nl\n cr\r tab\t bs\b ff\f nul\u0000 us\u001f del"#))
        #expect(text.contains(#"ls\u2028 ps\u2029 e2‰ emoji😀 slash/""#))
        #expect(!text.contains("\u{2028}"))
        let decoded = try SparkChatRequest.decode(json: request.encodeJSON())
        #expect(decoded.messages[0].content == content)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(request.encodeJSON())) as? [String: Any])
        let message = (((parsed["payload"] as? [String: Any])?["message"] as? [String: Any])?["text"] as? [[String: String]])?.first
        #expect(message?["content"] == content)
    }

    @Test func uidIsTruncatedTo32Scalars() {
        let long = String(repeating: "u", count: 40)
        var request = SparkChatRequest(appID: "a", uid: long, domain: "lite", messages: [])
        #expect(request.uid == String(repeating: "u", count: 32))
        request.uid = String(repeating: "用", count: 33)
        #expect(request.uid == String(repeating: "用", count: 32))
        request.uid = "short"
        #expect(request.uid == "short")
        request.uid = nil
        #expect(request.uid == nil)
    }

    @Test func temperatureFormatting() {
        for (value, text) in [(0.5, "0.5"), (1.0, "1.0"), (0.1, "0.1"), (1.2, "1.2"), (0.00001, "1e-05")] {
            let request = SparkChatRequest(appID: "a", domain: "lite", temperature: value, messages: [])
            #expect(request.encodeJSON().utf8String.contains("\"temperature\":\(text)}"), "\(value)")
            #expect(JSONScanner.isValid(request.encodeJSON()))
        }
    }
}
