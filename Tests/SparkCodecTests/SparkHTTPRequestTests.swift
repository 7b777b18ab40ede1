import Testing
@testable import SparkCodec

@Suite struct SparkHTTPRequestTests {
    static let known = SparkHTTPRequest(
        model: "generalv3.5",
        messages: [
            SparkChatMessage(role: .system, content: "你是助手"),
            SparkChatMessage(role: .user, content: "合肥天气？"),
            SparkChatMessage(role: .assistant, content: "", toolCalls: [SparkFunctionCall(name: "get_weather", arguments: #"{"location":"合肥"}"#, id: "call_1")]),
            SparkChatMessage(role: .tool, content: "晴", toolCallID: "call_1"),
        ],
        stream: true, temperature: 0.5, maxTokens: 1024, topK: 4, user: "u-1",
        functions: [SparkFunction(name: "get_weather", description: "天气", parametersJSON: Array(#"{"type":"object"}"#.utf8))],
        toolChoiceJSON: Array(#""auto""#.utf8), responseFormatJSON: Array(#"{"type":"json_object"}"#.utf8),
        thinkingJSON: Array(#"{"type":"disabled"}"#.utf8))

    @Test func encodesExactBytes() {
        let expected = #"{"model":"generalv3.5","messages":[{"role":"system","content":"你是助手"},{"role":"user","content":"合肥天气？"},{"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"合肥\"}"}}]},{"role":"tool","content":"晴","tool_call_id":"call_1"}],"stream":true,"temperature":0.5,"max_tokens":1024,"top_k":4,"user":"u-1","tools":[{"type":"function","function":{"name":"get_weather","description":"天气","parameters":{"type":"object"}}}],"tool_choice":"auto","response_format":{"type":"json_object"},"thinking":{"type":"disabled"}}"#
        #expect(String(decoding: Self.known.encodeJSON(), as: UTF8.self) == expected)
    }

    @Test func minimalRequestOmitsNilMembers() {
        let request = SparkHTTPRequest(model: "lite", messages: [SparkChatMessage(role: .user, content: "hi")], stream: false)
        #expect(String(decoding: request.encodeJSON(), as: UTF8.self)
            == #"{"model":"lite","messages":[{"role":"user","content":"hi"}],"stream":false}"#)
    }

    @Test func toolsJSONTakesPrecedenceOverFunctions() {
        var request = Self.known
        request.toolsJSON = Array(#"[{"type":"web_search","web_search":{"enable":true}}]"#.utf8)
        let text = String(decoding: request.encodeJSON(), as: UTF8.self)
        #expect(text.contains(#""tools":[{"type":"web_search","web_search":{"enable":true}}]"#))
        #expect(!text.contains("get_weather\",\"description"))
    }

    @Test func roundTrips() throws {
        #expect(try SparkHTTPRequest.decode(Self.known.encodeJSON()) == Self.known)
        var webSearch = Self.known
        webSearch.functions = []
        webSearch.toolsJSON = Array(#"[{"type":"web_search","web_search":{"enable":false}}]"#.utf8)
        #expect(try SparkHTTPRequest.decode(webSearch.encodeJSON()) == webSearch)
        let plain = SparkHTTPRequest(model: "x1", messages: [SparkChatMessage(role: .user, content: "q")])
        #expect(try SparkHTTPRequest.decode(plain.encodeJSON()) == plain)
    }

    @Test func decodesSpacedInputAndTolerantForms() throws {
        let body = #"""
        { "model": "4.0Ultra", "messages": [ {"role": "user", "content": "q"},
          {"role": "assistant", "content": null, "tool_calls": {"id": "c", "function": {"name": "f", "arguments": {"a": 1}}}},
          {"role": "tool", "content": "r", "tool_call_id": "c"} ],
          "stream": null, "thinking": { "type" : "enabled" }, "tool_choice": null }
        """#
        let request = try SparkHTTPRequest.decode(Array(body.utf8))
        #expect(request.stream == false)
        #expect(request.messages[1] == SparkChatMessage(role: .assistant, content: "", toolCalls: [SparkFunctionCall(name: "f", arguments: #"{"a":1}"#, id: "c")]))
        #expect(request.messages[2].toolCallID == "c")
        #expect(request.thinkingJSON == Array(#"{"type":"enabled"}"#.utf8))
        #expect(request.toolChoiceJSON == nil)
    }

    @Test func rejections() {
        let cases: [(String, SparkChatRequestDecodingError.Reason, String, Int)] = [
            ("{", .invalidJSON, "", 10003),
            ("[]", .wrongType, "", 10004),
            (#"{"messages":[{"role":"user","content":"q"}]}"#, .missingField, "model", 10004),
            (#"{"model":"lite"}"#, .missingField, "messages", 10004),
            (#"{"model":"lite","messages":[]}"#, .emptyMessages, "messages", 10004),
            (#"{"model":"lite","messages":{}}"#, .wrongType, "messages", 10004),
            (#"{"model":"lite","messages":[{"role":"bot","content":"q"}]}"#, .invalidRole, "messages[0].role", 10005),
            (#"{"model":"lite","messages":[{"role":"user","content":"q"},{"role":"system","content":"s"}]}"#, .systemNotFirst, "messages[1].role", 10005),
            (#"{"model":"lite","messages":[{"role":"user"}]}"#, .missingField, "messages[0].content", 10004),
            (#"{"model":"lite","messages":[{"role":"user","content":1}]}"#, .wrongType, "messages[0].content", 10004),
            (#"{"model":"lite","messages":[{"role":"user","content":"q"}],"stream":"yes"}"#, .wrongType, "stream", 10004),
            (#"{"model":"lite","messages":[{"role":"user","content":"q"}],"temperature":0}"#, .outOfRange, "temperature", 10005),
            (#"{"model":"lite","messages":[{"role":"user","content":"q"}],"max_tokens":0}"#, .outOfRange, "max_tokens", 10005),
            (#"{"model":"lite","messages":[{"role":"user","content":"q"}],"top_k":7}"#, .outOfRange, "top_k", 10005),
            (#"{"model":"lite","messages":[{"role":"user","content":"q"}],"tools":{}}"#, .wrongType, "tools", 10004),
            (#"{"model":"lite","messages":[{"role":"user","content":"q"}],"tools":[{"type":"function"}]}"#, .missingField, "tools[0].function", 10004),
            (#"{"model":"lite","messages":[{"role":"assistant","content":"","tool_calls":[{"function":{}}]}]}"#, .missingField, "messages[0].tool_calls[0].function.name", 10004),
        ]
        for (body, reason, field, code) in cases {
            do {
                _ = try SparkHTTPRequest.decode(Array(body.utf8))
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.reason == reason, "\(body)")
                #expect(error.field == field, "\(body)")
                #expect(error.code == code, "\(body)")
            }
        }
    }

    @Test func validatesAgainstTheModel() throws {
        let table = SparkModelTable.default
        let x1 = try #require(table.model(named: "x1"))
        let max = try #require(table.model(named: "generalv3.5"))
        let request = SparkHTTPRequest(model: "x1", messages: [SparkChatMessage(role: .user, content: "q")], temperature: 1.5)
        try request.validate(for: x1)
        #expect(throws: SparkChatRequestDecodingError.self) { try request.validate(for: max) }
        var hot = request
        hot.model = "generalv3.5"
        do {
            try hot.validate(for: max)
            Issue.record("temperature 1.5 accepted for Max")
        } catch {
            #expect(error.field == "temperature" && error.code == 10005)
        }
        var long = hot
        long.temperature = nil
        long.messages = [SparkChatMessage(role: .user, content: String(repeating: "字", count: 20_000))]
        do {
            try long.validate(for: max)
            Issue.record("long request accepted")
        } catch {
            #expect(error.code == 10907)
        }
        #expect(try SparkHTTPRequest.decode(request.encodeJSON(), for: x1) == request)
    }
}
