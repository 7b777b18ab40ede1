import Testing
@testable import SparkCodec

@Suite struct SparkFrameEncoderTests {
    @Test func reproducesTheExampleStreamByteForByte() throws {
        let lines = try Fixtures.lines("frames-example.jsonl")
        var decoder = SparkFrameDecoder()
        for (index, line) in lines.enumerated() {
            let frame = try decoder.decode(line)
            let encoded = SparkFrameEncoder.contentFrame(
                sid: try #require(frame.sid), status: frame.status, seq: try #require(frame.seq), content: frame.content,
                usage: frame.usage)
            #expect(encoded == line, "line \(index)")
        }
    }

    @Test func reproducesTheFunctionCallFrame() throws {
        let line = try #require(try Fixtures.lines("frames-function-call.jsonl").first)
        let encoded = SparkFrameEncoder.functionCallFrame(
            sid: "cht000b4f35@dx19ab3c6a0f4b8a4550", seq: 0, name: "get_weather", arguments: #"{"location":"合肥","date":"今天"}"#,
            usage: SparkUsage(promptTokens: 5, completionTokens: 0, totalTokens: 5, questionTokens: 5))
        #expect(encoded.utf8String == line.utf8String)
    }

    @Test func reproducesTheErrorFrame() throws {
        let line = try #require(try Fixtures.lines("frames-error-10013.jsonl").first)
        let encoded = SparkFrameEncoder.errorFrame(code: 10013, message: "输入内容审核不通过，涉嫌违规，请重新调整输入内容",
                                                   sid: "cht000b4f31@dx19ab3c61d2cb8a4550")
        #expect(encoded == line)
    }

    @Test func pluginFrameMatchesTheDocShape() {
        let frame = SparkFrameEncoder.pluginFrame(sid: "s", sourcesJSON: Array(#"[{"index":1,"url":"u","title":"t"}]"#.utf8))
        #expect(frame.utf8String == #"{"header":{"code":0,"message":"Success","sid":"s","status":1},"payload":{"plugins":{"text":[{"name":"ifly_search","content":"[{\"index\":1,\"url\":\"u\",\"title\":\"t\"}]","content_type":"text","content_meta":null,"role":"tool","status":"finished","invoked":{"namespace":"ifly_search","plugin_id":"ifly_search","plugin_ver":"","status_code":200,"status_msg":"Success","type":"local"}}]}}}"#)
    }

    @Test func reasoningFrameRoundTrips() throws {
        var decoder = SparkFrameDecoder()
        let frame = try decoder.decode(SparkFrameEncoder.contentFrame(sid: "x", status: 1, seq: 3, content: "", reasoning: "想一想\n"))
        #expect(frame.reasoningContent == "想一想\n")
        #expect(frame.seq == 3)
    }
}
