import HTTPCodec
import SparkCodec
import Testing
@testable import Relay

/// The exact `400` message `/chat` and `/chat/stream` give for each of Spark's request rules.
@Suite struct ChatInputRuleMessagesTests {
    private func message(_ json: String) -> String? {
        do throws(APIError) {
            _ = try ChatInput.parse(body: Array(json.utf8), headers: ["Content-Type": "application/json"], models: .default,
                                    defaultModel: "generalv3.5")
            return nil
        } catch {
            #expect(error.status == .badRequest)
            #expect(error.code == "invalid_field")
            return error.message
        }
    }

    @Test(arguments: [
        (#"{"messages":[]}"#, #""messages" must be a non-empty array"#),
        (#"{"messages":{}}"#, #""messages" must be a non-empty array"#),
        (#"{"messages":[{"role":"robot","content":"x"}]}"#, "messages[0].role must be system, user or assistant, got 'robot'"),
        (#"{"messages":[{"role":"robot","content":5}]}"#, "messages[0].role must be system, user or assistant, got 'robot'"),
        (#"{"messages":[{"role":"user","content":5}]}"#, "messages[0].content must be a string"),
        (#"{"messages":[{"role":"user","content":" \n"}]}"#, "messages[0].content must not be empty"),
        (#"{"messages":[{"role":"user","content":"a"},{"role":"system","content":" "}]}"#, "messages[1].content must not be empty"),
        (#"{"messages":[{"role":"user","content":"a"},{"role":"system","content":"b"},{"role":"user","content":"c"}]}"#,
         "a system message must come first (Spark accepts it only as messages[0])"),
        (#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#,
         "the last message must have role user (the question to answer)"),
        (#"{"prompt":""}"#, #""prompt" must be a non-empty string"#),
        (#"{"prompt":" "}"#, #""prompt" must be a non-empty string"#),
        (#"{"prompt":5}"#, #""prompt" must be a non-empty string"#),
        (#"{"prompt":"x","temperature":0}"#, #""temperature" must be a number in (0.0, 1.0] for model generalv3.5"#),
        (#"{"prompt":"x","temperature":"0.5"}"#, #""temperature" must be a number in (0.0, 1.0] for model generalv3.5"#),
        (#"{"prompt":"x","model":"x1","temperature":2.01}"#, #""temperature" must be a number in (0.0, 2.0] for model x1"#),
        (#"{"prompt":"x","max_tokens":0}"#, #""max_tokens" must be an integer from 1 to 8192 for model generalv3.5"#),
        (#"{"prompt":"x","max_tokens":1.5}"#, #""max_tokens" must be an integer from 1 to 8192 for model generalv3.5"#),
        (#"{"prompt":"x","model":"lite","max_tokens":4097}"#, #""max_tokens" must be an integer from 1 to 4096 for model lite"#),
        (#"{"prompt":"x","top_k":7}"#, #""top_k" must be an integer from 1 to 6"#),
        (#"{"prompt":"x","top_k":"3"}"#, #""top_k" must be an integer from 1 to 6"#),
        (#"{"prompt":"x","uid":""}"#, #""uid" must be a string of 1 to 32 characters"#),
        (#"{"prompt":"x","uid":7}"#, #""uid" must be a string of 1 to 32 characters"#),
        (#"{"prompt":"x","uid":"012345678901234567890123456789012"}"#, #""uid" must be a string of 1 to 32 characters"#),
        (#"{"prompt":"x","model":"lite","functions":[{"name":"f"}]}"#, "model lite does not support function calling"),
        (#"{"prompt":"x","functions":[{"name":""}]}"#, "functions[0].name must be a non-empty string"),
        (#"{"prompt":"x","functions":[{"name":"f"},{"description":"d"}]}"#, "functions[1].name must be a non-empty string"),
    ])
    func messages(body: String, expected: String) {
        #expect(message(body) == expected)
    }

    @Test func boundaryValuesPass() {
        #expect(message(#"{"prompt":"x","temperature":1,"max_tokens":8192,"top_k":1,"uid":"01234567890123456789012345678901"}"#) == nil)
        #expect(message(#"{"prompt":"x","temperature":0.0001,"max_tokens":1,"top_k":6}"#) == nil)
        #expect(message(#"{"prompt":"x","model":"lite","functions":[]}"#) == nil)
        #expect(message(#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}]}"#) == nil)
    }

    @Test func uidLengthIsCountedInUnicodeScalarsAsSparkCountsThem() {
        // 16 characters of e + combining acute: 32 scalars, accepted; 17 would be 34 scalars.
        #expect(message(#"{"prompt":"x","uid":"\#(String(repeating: "e\u{301}", count: 16))"}"#) == nil)
        #expect(message(#"{"prompt":"x","uid":"\#(String(repeating: "e\u{301}", count: 17))"}"#)
                == #""uid" must be a string of 1 to 32 characters"#)
    }
}
