import Foundation
import HTTPCodec
import SparkCodec
import Testing
@testable import Relay

@Suite struct OpenAIChatRequestTests {
    private func parse(_ json: String) throws(APIError) -> OpenAIChatRequest {
        try OpenAIChatRequest.parse(body: Array(json.utf8), headers: ["Content-Type": "application/json"], models: .default)
    }

    @Test func systemMessagesGoFirstAndLaterOnesBecomeUserTurns() throws {
        let request = try parse(#"{"model":"generalv3.5","messages":[{"role":"system","content":"a"},{"role":"developer","content":"b"},{"role":"user","content":"q"},{"role":"assistant","content":"r"},{"role":"system","content":"late"},{"role":"user","content":"q2"}]}"#)
        let messages = request.input.messages
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(messages[0].content == "a\nb")
        #expect(messages[3].content == "late\n\nq2")
    }

    @Test func toolRoundTripMapsToSparksRoles() throws {
        let request = try parse(#"{"model":"generalv3.5","messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"合肥\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"晴"}]}"#)
        let messages = request.input.messages
        #expect(messages.map(\.role) == [.user, .assistant, .user])
        #expect(messages[1].content == #"[function_call] get_weather {"city":"合肥"}"#)
        #expect(messages[2].content == "[function_result] get_weather: 晴")
    }

    @Test func textPartsAreJoinedAndImagesRefused() throws {
        let request = try parse(#"{"model":"lite","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}"#)
        #expect(request.input.messages.first?.content == "a\nb")
        #expect(throws: APIError.self) {
            _ = try parse(#"{"model":"lite","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}"#)
        }
    }

    @Test func parametersMapToSpark() throws {
        let request = try parse(#"{"model":"Spark-Max","messages":[{"role":"user","content":"x"}],"temperature":0,"max_completion_tokens":50,"top_k":3,"user":"alice","top_p":0.1,"stream":true,"stream_options":{"include_usage":true}}"#)
        #expect(request.input.model.name == "generalv3.5")
        #expect(request.requestedModel == "Spark-Max")
        #expect(request.input.temperature == 0.01)
        #expect(request.input.maxTokens == 50)
        #expect(request.input.topK == 3)
        #expect(request.input.uid == "alice")
        #expect(request.stream && request.includeUsage)
        #expect(request.ignoredParameters == ["top_p"])
        let long = try parse(#"{"model":"lite","messages":[{"role":"user","content":"x"}],"user":"\#(String(repeating: "u", count: 80))"}"#)
        #expect(long.input.uid?.count == 32)
    }

    @Test func toolsBecomeSparkFunctionsUnlessDisabled() throws {
        let tools = #""tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g"}}]"#
        let all = try parse(#"{"model":"generalv3.5","messages":[{"role":"user","content":"x"}],\#(tools)}"#)
        #expect(all.input.functions.map(\.name) == ["f", "g"])
        #expect(String(decoding: all.input.functions[0].parametersJSON, as: UTF8.self) == #"{"type":"object"}"#)
        let none = try parse(#"{"model":"generalv3.5","messages":[{"role":"user","content":"x"}],\#(tools),"tool_choice":"none"}"#)
        #expect(none.input.functions.isEmpty)
        let forced = try parse(#"{"model":"generalv3.5","messages":[{"role":"user","content":"x"}],\#(tools),"tool_choice":{"type":"function","function":{"name":"g"}}}"#)
        #expect(forced.input.functions.map(\.name) == ["g"])
        #expect(throws: APIError.self) { _ = try parse(#"{"model":"lite","messages":[{"role":"user","content":"x"}],\#(tools)}"#) }
    }

    @Test(arguments: [
        (#"{"messages":[{"role":"user","content":"x"}]}"#, 400, "missing_field"),
        (#"{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}"#, 404, "model_not_found"),
        (#"{"model":"lite","messages":[]}"#, 400, "invalid_field"),
        (#"{"model":"lite","n":2,"messages":[{"role":"user","content":"x"}]}"#, 400, "invalid_field"),
        (#"{"model":"lite","temperature":2.5,"messages":[{"role":"user","content":"x"}]}"#, 400, "invalid_field"),
        (#"{"model":"lite","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#, 400, "invalid_field"),
        (#"{"model":"lite","messages":[{"role":"robot","content":"x"}]}"#, 400, "invalid_field"),
        (#"{"model":"lite","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]}"#, 400, "invalid_field"),
        (#"{"model":"lite","messages":[{"role":"assistant","content":null}]}"#, 400, "invalid_field"),
        (#"not json"#, 400, "invalid_json"),
    ])
    func rejectionsHaveOpenAIStatuses(body: String, status: Int, code: String) {
        do {
            _ = try parse(body)
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.status.code == status)
            #expect(error.code == code)
        }
    }
}

@Suite struct OpenAIErrorMappingTests {
    private func failure(spark code: Int? = nil, relay: String = "x", status: Int = 502) -> StreamFailure {
        StreamFailure(sparkCode: code, code: code.map(String.init) ?? relay, type: "upstream_error", httpStatus: status, message: "m", sid: nil)
    }

    @Test(arguments: [
        (11202, 429, "rate_limit_error"), (11203, 429, "rate_limit_error"), (11201, 429, "insufficient_quota"),
        (11200, 403, "permission_error"), (10907, 400, "invalid_request_error"), (10012, 502, "upstream_error"),
        (10008, 429, "rate_limit_error"),
    ])
    func sparkCodes(code: Int, status: Int, type: String) {
        let error = OpenAIErrorMapping.apiError(for: failure(spark: code))
        #expect(error.status.code == status)
        #expect(error.type == type)
        if status == 429 { #expect(error.headers.contains { $0.0 == "Retry-After" }) }
    }

    @Test func relayFailures() {
        #expect(OpenAIErrorMapping.apiError(for: failure(relay: "upstream_timeout_idle", status: 504)).status == .gatewayTimeout)
        #expect(OpenAIErrorMapping.apiError(for: failure(relay: "upstream_unauthorized", status: 502)).status == .badGateway)
    }

    @Test func moderationCodesAreContentFilter() {
        for code in [10013, 10014, 10019, 10021] { #expect(OpenAIErrorMapping.isContentFilter(failure(spark: code))) }
        #expect(!OpenAIErrorMapping.isContentFilter(failure(spark: 11200)))
    }
}
