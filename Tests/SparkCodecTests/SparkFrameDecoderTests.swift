import JSON
import Testing
@testable import SparkCodec

@Suite struct SparkFrameDecoderTests {
    @Test func exampleStreamDecodes() throws {
        let lines = try Fixtures.lines("frames-example.jsonl")
        #expect(lines.count == 5)
        var decoder = SparkFrameDecoder()
        var text = ""
        var frames: [SparkResponseFrame] = []
        for line in lines {
            #expect(!decoder.isFinished)
            let frame = try decoder.decode(line)
            text += frame.content
            frames.append(frame)
        }
        #expect(text == "合肥是安徽省的省会，地处江淮之间、环抱巢湖，以科教资源密集、科技创新活跃著称，是长三角城市群的副中心城市。")
        #expect(frames.map(\.status) == [0, 1, 1, 1, 2])
        #expect(frames.map(\.seq) == [0, 1, 2, 3, 4])
        #expect(frames.map(\.isLast) == [false, false, false, false, true])
        #expect(frames.dropLast().allSatisfy { $0.usage == nil })
        #expect(frames.last?.usage == SparkUsage(promptTokens: 7, completionTokens: 31, totalTokens: 38, questionTokens: 7))
        #expect(frames.allSatisfy { $0.sid == "cht000b4f2e@dx19ab3c5e7a1b8a4560" && $0.hasChoices && $0.functionCall == nil })
        #expect(decoder.isFinished)
        #expect(decoder.sid == "cht000b4f2e@dx19ab3c5e7a1b8a4560")
        #expect(decoder.frameCount == 5)
        #expect(decoder.errorOnClose() == nil)
        #expect(frames[0].event == .content(text: "合肥是安徽省的省会，", reasoning: nil, isLast: false))
    }

    @Test func payloadJSONIsByteExact() throws {
        for name in ["frames-example.jsonl", "frames-function-call.jsonl"] {
            for line in try Fixtures.lines(name) {
                var decoder = SparkFrameDecoder()
                let frame = try decoder.decode(line)
                let text = line.utf8String
                let start = try #require(text.range(of: ",\"payload\":"))
                let expected = String(text[start.upperBound...].dropLast())
                #expect(frame.payloadJSON?.utf8String == expected)
            }
        }
    }

    @Test func prettyPrintedFrameCompactsToOneLine() throws {
        let pretty = """
        {
          "header": { "code": 0, "message": "Success", "sid": "s 1", "status": 2 },
          "payload": {
            "choices": { "status": 2, "seq": 9,
                         "text": [ { "content": "a  b\\n", "role": "assistant", "index": 0 } ] },
            "question_type": "x y"
          }
        }
        """
        var decoder = SparkFrameDecoder()
        let frame = try decoder.decode(Array(pretty.utf8))
        #expect(frame.payloadJSON?.utf8String
            == #"{"choices":{"status":2,"seq":9,"text":[{"content":"a  b\n","role":"assistant","index":0}]},"question_type":"x y"}"#)
        #expect(frame.content == "a  b\n")
        #expect(frame.isLast)
    }

    @Test func functionCallFixture() throws {
        var decoder = SparkFrameDecoder()
        let frame = try decoder.decode(try #require(try Fixtures.lines("frames-function-call.jsonl").first))
        #expect(frame.functionCall == SparkFunctionCall(name: "get_weather", arguments: #"{"location":"合肥","date":"今天"}"#))
        #expect(frame.content == "")
        #expect(frame.isLast)
        #expect(frame.usage?.totalTokens == 5)
        #expect(frame.event == .functionCall(name: "get_weather", arguments: #"{"location":"合肥","date":"今天"}"#, isLast: true))
        #expect(decoder.isFinished)
    }

    @Test func errorFrameThrowsTypedErrorWithSid() throws {
        var decoder = SparkFrameDecoder()
        let line = try #require(try Fixtures.lines("frames-error-10013.jsonl").first)
        #expect(throws: SparkError.upstream(code: 10013, message: "输入内容审核不通过，涉嫌违规，请重新调整输入内容",
                                            sid: "cht000b4f31@dx19ab3c61d2cb8a4550")) {
            try decoder.decode(line)
        }
        #expect(decoder.isFinished)
        #expect(decoder.sid == "cht000b4f31@dx19ab3c61d2cb8a4550")
        #expect(throws: SparkError.frameAfterEnd) { try decoder.decode(line) }
    }

    @Test func errorAfterContentKeepsFirstSid() throws {
        var decoder = SparkFrameDecoder()
        _ = try decoder.decode(SparkFrameEncoder.contentFrame(sid: "s1", status: 0, seq: 0, content: "a"))
        #expect(throws: SparkError.upstream(code: 10014, message: "m", sid: "s1")) {
            try decoder.decode(Array(#"{"header":{"code":10014,"message":"m","status":2}}"#.utf8))
        }
    }

    @Test func frameAfterEnd() throws {
        let lines = try Fixtures.lines("frames-example.jsonl")
        var decoder = SparkFrameDecoder()
        for line in lines { _ = try decoder.decode(line) }
        #expect(throws: SparkError.frameAfterEnd) { try decoder.decode(lines[0]) }
    }

    @Test func closeBeforeEnd() throws {
        var decoder = SparkFrameDecoder()
        #expect(decoder.errorOnClose() == .closedBeforeEnd(sid: nil))
        _ = try decoder.decode(try Fixtures.lines("frames-example.jsonl")[0])
        #expect(decoder.errorOnClose() == .closedBeforeEnd(sid: "cht000b4f2e@dx19ab3c5e7a1b8a4560"))
    }

    @Test func missingPartsDefault() throws {
        let cases: [(String, String, Bool, Bool)] = [
            (#"{"header":{"code":0,"message":"Success","sid":"s","status":1}}"#, "", false, false),
            (#"{"header":{"code":0,"status":1},"payload":{}}"#, "", false, false),
            (#"{"header":{"code":0,"status":1},"payload":{"choices":{}}}"#, "", true, false),
            (#"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[]}}}"#, "", true, false),
            (#"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[{}]}}}"#, "", true, false),
            (#"{"header":{"code":0,"status":1},"payload":{"choices":{"text":[{"content":null,"extra":[1]}]},"usage":{}}}"#, "", true, false),
            (#"{"header":{"code":0},"payload":{"choices":{"status":2,"text":[{"content":"z"}]}}}"#, "z", true, true),
            (#"{"header":{"code":0,"status":2,"new":1},"unknown":true}"#, "", false, true),
        ]
        for (json, content, hasChoices, isLast) in cases {
            var decoder = SparkFrameDecoder()
            let frame = try decoder.decode(Array(json.utf8))
            #expect(frame.content == content, "\(json)")
            #expect(frame.hasChoices == hasChoices, "\(json)")
            #expect(frame.isLast == isLast, "\(json)")
            #expect(frame.usage == nil)
            #expect(decoder.isFinished == isLast)
        }
    }

    @Test func reasoningFramesFromX1() throws {
        var decoder = SparkFrameDecoder()
        let frame = try decoder.decode(Array(#"{"header":{"code":0,"status":1,"sid":"x"},"payload":{"choices":{"status":1,"seq":0,"text":[{"reasoning_content":"think","role":"assistant"}]}}}"#.utf8))
        #expect(frame.content == "")
        #expect(frame.reasoningContent == "think")
        #expect(frame.event == .content(text: "", reasoning: "think", isLast: false))
    }

    @Test func functionCallArgumentsAsObjectAreTolerated() throws {
        var decoder = SparkFrameDecoder()
        let frame = try decoder.decode(Array(#"{"header":{"code":0,"status":2},"payload":{"choices":{"status":2,"text":[{"content":"","function_call":{"name":"f","arguments": { "a" : 1 }}}]}}}"#.utf8))
        #expect(frame.functionCall == SparkFunctionCall(name: "f", arguments: #"{"a":1}"#))
    }

    @Test func pluginFrame() throws {
        var decoder = SparkFrameDecoder()
        let bytes = SparkFrameEncoder.pluginFrame(sid: "p", sourcesJSON: Array(#"[{"index":1,"url":"https://x","title":"t"}]"#.utf8))
        let frame = try decoder.decode(bytes)
        #expect(!frame.hasChoices)
        guard case .plugin(let raw) = frame.event else {
            Issue.record("expected a plugin event, got \(frame.event)")
            return
        }
        let plugins = try JSONScanner.parse(raw)
        #expect(plugins["text"]?.arrayValue?.first?["content"]?.stringValue == #"[{"index":1,"url":"https://x","title":"t"}]"#)
        #expect(!decoder.isFinished)
    }

    @Test(arguments: [
        "", "not json", "[]", "\"s\"", #"{"payload":{}}"#, #"{"header":null}"#, #"{"header":[]}"#, #"{"header":{}}"#,
        #"{"header":{"code":"0"}}"#, #"{"header":{"code":0,"status":"1"}}"#, #"{"header":{"code":0,"sid":5}}"#,
        #"{"header":{"code":0},"payload":[]}"#, #"{"header":{"code":0},"payload":{"choices":[]}}"#,
        #"{"header":{"code":0},"payload":{"choices":{"text":{}}}}"#, #"{"header":{"code":0},"payload":{"choices":{"text":[1]}}}"#,
        #"{"header":{"code":0},"payload":{"choices":{"text":[{"content":1}]}}}"#,
        #"{"header":{"code":0},"payload":{"usage":{"text":{"total_tokens":"5"}}}}"#,
        #"{"header":{"code":0},"payload":{"choices":{"seq":1.5}}}"#,
    ])
    func malformedFramesThrow(json: String) {
        var decoder = SparkFrameDecoder()
        #expect {
            try decoder.decode(Array(json.utf8))
        } throws: { error in
            guard case SparkError.malformedFrame = error else { return false }
            return true
        }
        #expect(!decoder.isFinished)
    }

    @Test func oversizeFrameIsRejected() {
        var decoder = SparkFrameDecoder(maxFrameBytes: 64)
        let frame = SparkFrameEncoder.contentFrame(sid: "s", status: 1, seq: 0, content: String(repeating: "x", count: 64))
        #expect(throws: SparkError.malformedFrame("frame of \(frame.count) bytes exceeds 64")) { try decoder.decode(frame) }
    }
}
