import RelayBenchCore
import Testing

@Suite("OpenAI chunk accounting: content pieces, finish_reason and [DONE]")
struct OpenAIStreamAccountTests {
    private let pieces = ["You s", "aid: ", "星火😀", "。"]

    private func chunk(_ delta: String, finish: String? = nil) -> [UInt8] {
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return Array(#"{"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"generalv3.5","choices":[{"index":0,"delta":{\#(delta)},"finish_reason":\#(reason)}]}"#.utf8)
    }

    private func content(_ text: String) -> [UInt8] {
        chunk(#""content":"\#(text)""#)
    }

    private let done = Array("[DONE]".utf8)

    @Test func parsesEveryKindOfDataLine() {
        #expect(OpenAIChunk.parse(done) == .done)
        #expect(OpenAIChunk.parse(chunk(#""role":"assistant","content":"""#))
                == .chunk(content: "", role: "assistant", finishReason: nil, choices: 1))
        #expect(OpenAIChunk.parse(content("星火😀")) == .chunk(content: "星火😀", role: nil, finishReason: nil, choices: 1))
        #expect(OpenAIChunk.parse(chunk("", finish: "stop")) == .chunk(content: nil, role: nil, finishReason: "stop", choices: 1))
        let usage = Array(#"{"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"total_tokens":3}}"#.utf8)
        #expect(OpenAIChunk.parse(usage) == .chunk(content: nil, role: nil, finishReason: nil, choices: 0))
        #expect(OpenAIChunk.parse(Array(#"{"error":{"message":"boom","type":"upstream_error"}}"#.utf8)) == .error("boom"))
        #expect(OpenAIChunk.parse(Array("not json".utf8)) == .unreadable("not json"))
        #expect(OpenAIChunk.parse(Array(#"{"object":"x"}"#.utf8)) == .unreadable(#"{"object":"x"}"#))
    }

    @Test func aCleanStreamCountsContentAndControlChunksApart() {
        var account = OpenAIStreamAccount(pieces: pieces)
        #expect(account.record(data: chunk(#""role":"assistant","content":"""#)) == .control)
        for (index, piece) in pieces.enumerated() {
            #expect(account.record(data: content(piece)) == .content(index: index))
        }
        #expect(account.record(data: chunk("", finish: "stop")) == .control)
        #expect(account.record(data: done) == .done)
        #expect(account.finish().isEmpty)
        #expect(account.contentChunks == 4 && account.controlChunks == 2)
        #expect(account.textMatches && account.text == "You said: 星火😀。")
        #expect(account.account.received == 4)
    }

    @Test func emptyScriptPiecesAreNotExpected() {
        var account = OpenAIStreamAccount(pieces: ["a", "", "b"])
        #expect(account.record(data: content("a")) == .content(index: 0))
        #expect(account.record(data: content("b")) == .content(index: 1))
        account.record(data: chunk("", finish: "stop"))
        account.record(data: done)
        #expect(account.finish().isEmpty)
    }

    @Test func mergedChunksAreWrongTextAndMissingPieces() {
        var account = OpenAIStreamAccount(pieces: pieces)
        account.record(data: content("You said: "))  // two pieces in one chunk
        account.record(data: content("星火😀"))
        account.record(data: content("。"))
        account.record(data: chunk("", finish: "stop"))
        account.record(data: done)
        let problems = account.finish()
        #expect(problems.contains(.wrongText(seq: 0)))
        #expect(problems.contains(.missing(count: 1, first: 3)))
        #expect(account.textMatches)  // the text is whole; the chunking is not
    }

    @Test func aStreamWithoutDoneIsNotCompleted() {
        var account = OpenAIStreamAccount(pieces: pieces)
        for piece in pieces { account.record(data: content(piece)) }
        account.record(data: chunk("", finish: "stop"))
        #expect(account.finish(reason: "connection closed") == [.notCompleted("connection closed")])
    }

    @Test func aFinishReasonOtherThanStopIsNotCompleted() {
        var account = OpenAIStreamAccount(pieces: pieces)
        for piece in pieces { account.record(data: content(piece)) }
        account.record(data: chunk("", finish: "length"))
        account.record(data: done)
        #expect(account.finish() == [.notCompleted("finish_reason length")])
    }

    @Test func anErrorChunkDataAfterDoneAndWrongTextAreProblems() {
        var account = OpenAIStreamAccount(pieces: pieces)
        account.record(data: content("You s"))
        #expect(account.record(data: Array(#"{"error":{"message":"upstream closed"}}"#.utf8)) == .error("upstream closed"))
        #expect(account.finish() == [.missing(count: 3, first: 1), .notCompleted("error chunk: upstream closed")])

        var late = OpenAIStreamAccount(pieces: ["a"])
        late.record(data: content("a"))
        late.record(data: chunk("", finish: "stop"))
        late.record(data: done)
        #expect(late.record(data: content("b")) == .unreadable)
        #expect(late.finish() == [.unreadable("data after [DONE]")])

        var wrong = OpenAIStreamAccount(pieces: ["a", "b"])
        wrong.record(data: content("a"))
        wrong.record(data: content("B"))
        wrong.record(data: content("c"))
        wrong.record(data: chunk("", finish: "stop"))
        wrong.record(data: done)
        let problems = wrong.finish()
        #expect(problems.contains(.wrongText(seq: 1)) && problems.contains(.unexpectedSeq(2)))
        #expect(!wrong.textMatches)
    }

    @Test func accountsFeedStreamCheckLikeSparkStreams() {
        var clean = OpenAIStreamAccount(pieces: ["x"])
        clean.record(data: content("x"))
        clean.record(data: chunk("", finish: "stop"))
        clean.record(data: done)
        var broken = OpenAIStreamAccount(pieces: ["x", "y"])
        broken.record(data: content("x"))
        var check = StreamCheck()
        check.add(stream: 0, account: clean.account, problems: clean.finish())
        check.add(stream: 1, account: broken.account, problems: broken.finish(reason: "timeout"))
        #expect(check.streams == 2 && check.cleanStreams == 1 && check.chunks == 2)
        #expect(check.problemsByKind == ["missing": 1, "not_completed": 1])
    }

    @Test func liteLLMConfigPassesThroughTheRelayAndStaysOffline() {
        let yaml = LiteLLMConfig.yaml(relayPort: 8123, model: "generalv3.5")
        #expect(yaml.contains("model: openai/generalv3.5") && yaml.contains("api_base: http://127.0.0.1:8123/v1"))
        #expect(yaml.contains("telemetry: false"))
        let env = LiteLLMConfig.environment(masterKey: "sk-test")
        for key in ["LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "LITELLM_LOCAL_AUTOROUTER_PRESETS",
                    "LITELLM_LOCAL_POLICY_TEMPLATES", "LITELLM_LOCAL_BLOG_POSTS"] {
            #expect(env[key]?.lowercased() == "true", "\(key)")
        }
        #expect(env["LITELLM_TELEMETRY"] == "False" && env["LITELLM_OFFLINE_MODE"] == "true")
        #expect(env["DATABASE_URL"] == nil && LiteLLMConfig.removedEnvironment.contains("DATABASE_URL"))
        #expect(env["NO_PROXY"] == "127.0.0.1,localhost" && env["LITELLM_MASTER_KEY"] == "sk-test")
        #expect(LiteLLMConfig.makeMasterKey().count == 67)
        for (key, value) in env where key.hasSuffix("_URL") {
            #expect(value.hasPrefix(LiteLLMConfig.deadEnd), "\(key)")
        }
        #expect(LiteLLMConfig.version(distInfo: "litellm-1.108.7.dist-info") == "1.108.7")
        #expect(LiteLLMConfig.version(distInfo: "litellm_enterprise-0.1.dist-info") == nil)
        #expect(LiteLLMConfig.isAtLeast("1.108.7", major: 1, minor: 108))
        #expect(!LiteLLMConfig.isAtLeast("1.79.3", major: 1, minor: 108))
        #expect(LiteLLMConfig.isAtLeast("2.0.0", major: 1, minor: 108))
    }
}
