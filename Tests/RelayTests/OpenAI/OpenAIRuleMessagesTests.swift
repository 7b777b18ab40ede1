import HTTPCodec
import SparkCodec
import Testing
@testable import Relay

/// The exact `400` message `/v1/chat/completions` gives for each of Spark's request rules it applies.
@Suite struct OpenAIRuleMessagesTests {
    private func parse(_ json: String) throws(APIError) -> OpenAIChatRequest {
        try OpenAIChatRequest.parse(body: Array(json.utf8), headers: ["Content-Type": "application/json"], models: .default)
    }

    private func message(_ json: String) -> String? {
        do throws(APIError) {
            _ = try parse(json)
            return nil
        } catch {
            #expect(error.status == .badRequest)
            #expect(error.code == "invalid_field")
            return error.message
        }
    }

    private static let question = #""messages":[{"role":"user","content":"x"}]"#

    @Test(arguments: [
        (#"{"model":"lite","messages":[{"role":"system","content":"s"}]}"#, "'messages' needs at least one user message"),
        (#"{"model":"lite","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]}"#,
         "the last message must be from the user (or a tool result)"),
        (#"{"model":"lite","messages":[{"role":"user","content":" "}]}"#, "messages[0].content must not be empty"),
        (#"{"model":"lite","messages":[{"role":"developer","content":[{"type":"text","text":"\n"}]},{"role":"user","content":"x"}]}"#,
         "messages[0].content must not be empty"),
        (#"{"model":"lite","messages":[{"role":"user","content":"x"},{"role":"assistant","content":""}]}"#,
         "messages[1] has neither content nor tool_calls"),
        (#"{"model":"generalv3.5",\#(question),"max_tokens":0}"#, "'max_tokens' must be a positive integer"),
        (#"{"model":"generalv3.5",\#(question),"max_tokens":"1"}"#, "'max_tokens' must be a positive integer"),
        (#"{"model":"generalv3.5",\#(question),"max_completion_tokens":-1}"#, "'max_completion_tokens' must be a positive integer"),
        (#"{"model":"generalv3.5",\#(question),"max_tokens":8193}"#, "'max_tokens' is 8193, but model generalv3.5 allows at most 8192"),
        (#"{"model":"generalv3.5",\#(question),"top_k":0}"#, "'top_k' must be an integer from 1 to 6"),
        (#"{"model":"generalv3.5",\#(question),"top_k":7}"#, "'top_k' must be an integer from 1 to 6"),
        (#"{"model":"generalv3.5",\#(question),"temperature":2.01}"#, "'temperature' must be a number between 0 and 2"),
        (#"{"model":"lite",\#(question),"tools":[{"type":"function","function":{"name":"f"}}]}"#,
         "model lite does not support tools on Spark; use generalv3.5 or 4.0Ultra"),
        (#"{"model":"generalv3.5",\#(question),"tools":[{"type":"function","function":{"name":""}}]}"#, "tools[0].function.name is required"),
    ])
    func messages(body: String, expected: String) {
        #expect(message(body) == expected)
    }

    @Test func boundaryValuesPass() throws {
        let request = try parse(#"{"model":"generalv3.5",\#(Self.question),"max_tokens":8192,"top_k":6,"temperature":2}"#)
        #expect(request.input.maxTokens == 8192 && request.input.topK == 6 && request.input.temperature == 1)
        #expect(try parse(#"{"model":"x1",\#(Self.question),"temperature":2}"#).input.temperature == 2)
        #expect(try parse(#"{"model":"x1",\#(Self.question),"max_tokens":32768,"top_k":1}"#).input.maxTokens == 32768)
    }

    @Test func userBecomesTheUIDOrItsHash() throws {
        #expect(try parse(#"{"model":"lite",\#(Self.question),"user":""}"#).input.uid == nil)
        let exact = String(repeating: "u", count: 32)
        #expect(try parse(#"{"model":"lite",\#(Self.question),"user":"\#(exact)"}"#).input.uid == exact)
        let hashed = try parse(#"{"model":"lite",\#(Self.question),"user":"\#(exact)u"}"#).input.uid
        #expect(hashed?.count == 32 && hashed != exact)
        // 16 characters but 32 scalars: still Spark's size, kept as is.
        let combining = String(repeating: "e\u{301}", count: 16)
        #expect(try parse(#"{"model":"lite",\#(Self.question),"user":"\#(combining)"}"#).input.uid == combining)
        // 17 characters, 34 scalars: too long for Spark, so hashed rather than cut.
        let longer = String(repeating: "e\u{301}", count: 17)
        let hashedLonger = try parse(#"{"model":"lite",\#(Self.question),"user":"\#(longer)"}"#).input.uid
        #expect(hashedLonger?.unicodeScalars.count == 32 && hashedLonger?.allSatisfy(\.isHexDigit) == true)
    }
}
