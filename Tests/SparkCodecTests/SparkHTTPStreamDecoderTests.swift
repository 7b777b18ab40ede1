import Foundation
import JSON
import Testing
@testable import SparkCodec

@Suite struct SparkHTTPStreamDecoderTests {
    static let sid = "cha000b000c@dx1905cf38fc8b86d552"

    static func chunk(_ delta: String, usage: String? = nil, extra: String = "") -> String {
        #"{"code":0,"message":"Success","sid":"\#(sid)","id":"\#(sid)","created":1719546385,"choices":[{"delta":{"role":"assistant",\#(delta)},"index":0}]\#(usage.map { ",\"usage\":\($0)" } ?? "")\#(extra)}"#
    }

    static let usageJSON = #"{"prompt_tokens":6,"completion_tokens":42,"total_tokens":48}"#

    /// A `/v1` answer: usage in the last content chunk, events without a space after `data:`.
    static let v1Body = "data:" + chunk(#""content":"你好""#) + "\n\n"
        + "data:" + chunk(#""content":"，世界""#) + "\n\n"
        + "data:" + chunk(#""content":"😀""#, usage: usageJSON) + "\n\n"
        + "data: [DONE]\n\n"

    static func decodeAll(_ body: String, split: [Int] = []) throws -> [SparkResponseFrame] {
        var decoder = SparkHTTPStreamDecoder(maxEventBytes: 1 << 20)
        let bytes = Array(body.utf8)
        var frames: [SparkResponseFrame] = []
        var start = 0
        for cut in split + [bytes.count] {
            frames += try decoder.append(bytes[start..<cut])
            start = cut
        }
        frames += try decoder.finish()
        return frames
    }

    @Test func v1AnswerEndsOnTheUsageChunk() throws {
        var decoder = SparkHTTPStreamDecoder()
        let frames = try decoder.append(Array(Self.v1Body.utf8))
        #expect(frames.map(\.content) == ["你好", "，世界", "😀"])
        #expect(frames.map(\.status) == [0, 1, 2])
        #expect(frames.map(\.choicesStatus) == [0, 1, 2])
        #expect(frames.map(\.seq) == [0, 1, 2])
        #expect(frames.allSatisfy { $0.sid == Self.sid && $0.hasChoices && $0.code == 0 })
        #expect(frames.last?.usage == SparkUsage(promptTokens: 6, completionTokens: 42, totalTokens: 48))
        #expect(frames.last?.isLast == true)
        #expect(decoder.isFinished && decoder.sawLastFrame)
        #expect(decoder.frameCount == 3)
        #expect(decoder.sid == Self.sid)
        try decoder.finish()
    }

    @Test func payloadIsSynthesizedInTheWebSocketShape() throws {
        let frames = try Self.decodeAll(Self.v1Body)
        #expect(frames[0].payloadJSON.map { String(decoding: $0, as: UTF8.self) }
            == #"{"choices":{"status":0,"seq":0,"text":[{"content":"你好","role":"assistant","index":0}]}}"#)
        #expect(frames[2].payloadJSON.map { String(decoding: $0, as: UTF8.self) }
            == #"{"choices":{"status":2,"seq":2,"text":[{"content":"😀","role":"assistant","index":0}]},"usage":{"text":{"prompt_tokens":6,"completion_tokens":42,"total_tokens":48}}}"#)
        // The synthesized payload, wrapped in a WebSocket header, decodes to the same frame.
        for frame in frames {
            var decoder = SparkFrameDecoder()
            decoder.usesFastPath = false
            let header = #"{"header":{"code":0,"message":"Success","sid":"\#(Self.sid)","status":\#(frame.status)},"payload":"#
            let wsFrame = try decoder.decode(Array(header.utf8) + frame.payloadJSON! + [UInt8(ascii: "}")])
            #expect(wsFrame.content == frame.content)
            #expect(wsFrame.usage == frame.usage)
            #expect(wsFrame.seq == frame.seq)
            #expect(wsFrame.choicesStatus == frame.choicesStatus)
            #expect(wsFrame.payloadJSON == frame.payloadJSON)
        }
    }

    @Test func v2UsageInItsOwnChunkWithReasoning() throws {
        let body = "data: " + Self.chunk(#""content":"","reasoning_content":"想一想""#) + "\n\n"
            + "data: " + Self.chunk(#""content":"答案""#) + "\n\n"
            + "data: " + Self.chunk(#""content":"""#, usage: Self.usageJSON) + "\n\n"
            + "data: [DONE]\n\n"
        let frames = try Self.decodeAll(body)
        #expect(frames.map(\.status) == [0, 1, 2])
        #expect(frames[0].reasoningContent == "想一想")
        #expect(frames[0].content == "")
        #expect(frames[1].reasoningContent == nil)
        #expect(frames[2].content == "" && frames[2].usage?.totalTokens == 48)
        #expect(String(decoding: frames[0].payloadJSON!, as: UTF8.self)
            == #"{"choices":{"status":0,"seq":0,"text":[{"content":"","reasoning_content":"想一想","role":"assistant","index":0}]}}"#)
        #expect(frames[0].event == .content(text: "", reasoning: "想一想", isLast: false))
    }

    @Test func doneWithoutUsageGivesAnEmptyLastFrame() throws {
        let body = "data:" + Self.chunk(#""content":"a""#) + "\n\ndata:[DONE]\n\n"
        let frames = try Self.decodeAll(body)
        #expect(frames.count == 2)
        #expect(frames[1].status == 2 && frames[1].content == "" && frames[1].usage == nil && frames[1].seq == 1)
        #expect(frames[1].sid == Self.sid)
        #expect(String(decoding: frames[1].payloadJSON!, as: UTF8.self)
            == #"{"choices":{"status":2,"seq":1,"text":[{"content":"","role":"assistant","index":0}]}}"#)
    }

    @Test func doneAloneStillEnds() throws {
        let frames = try Self.decodeAll("data: [DONE]\n\n")
        #expect(frames.count == 1 && frames[0].isLast && frames[0].status == 2 && frames[0].sid == nil)
    }

    @Test func everySplitOffsetGivesTheSameFrames() throws {
        let expected = try Self.decodeAll(Self.v1Body)
        let count = Self.v1Body.utf8.count
        for cut in 0...count {
            #expect(try Self.decodeAll(Self.v1Body, split: [cut]) == expected, "split at \(cut)")
        }
        // And byte by byte.
        #expect(try Self.decodeAll(Self.v1Body, split: Array(1..<count)) == expected)
    }

    @Test func lineEndsCommentsAndMultiLineData() throws {
        let expected = try Self.decodeAll(Self.v1Body)
        for lineEnd in ["\r\n", "\r"] {
            let body = Self.v1Body.replacingOccurrences(of: "\n", with: lineEnd)
            #expect(try Self.decodeAll(body) == expected, "line end \(Array(lineEnd.utf8))")
        }
        // Comments, a retry field and an event type are ignored; data split over lines joins with LF.
        let json = Self.chunk(#""content":"你好""#)
        let middle = try #require(json.firstRange(of: #""choices""#)).lowerBound
        let multiLine = ": keep-alive\nretry: 1000\nevent: message\ndata:" + json[..<middle] + "\ndata:" + json[middle...] + "\n\n"
        let frames = try Self.decodeAll(multiLine + "data: [DONE]\n\n")
        #expect(frames.first?.content == "你好")
        #expect(frames.count == 2)
    }

    @Test func bomAndMissingFinalBlankLine() throws {
        var body = Self.v1Body
        body.removeLast()  // "data: [DONE]\n" without the blank line
        var decoder = SparkHTTPStreamDecoder()
        var frames = try decoder.append([0xEF, 0xBB, 0xBF] + Array(body.utf8))
        #expect(frames.count == 3)
        #expect(!decoder.isFinished && decoder.sawLastFrame)
        frames += try decoder.finish()
        #expect(frames.count == 3 && decoder.isFinished)
    }

    @Test func toolCallsAsObjectOrArray() throws {
        let object = #""content":"","tool_calls":{"type":"function","function":{"arguments":"{\"location\":\"合肥\"}","name":"get_weather"},"id":"call_1"}"#
        let array = #""content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"合肥\"}"}},{"type":"function","function":{"name":"b","arguments":{"x": 1}}}]"#
        let objectFrames = try Self.decodeAll("data:" + Self.chunk(object, usage: Self.usageJSON) + "\n\ndata:[DONE]\n\n")
        let call = SparkFunctionCall(name: "get_weather", arguments: #"{"location":"合肥"}"#, id: "call_1")
        #expect(objectFrames.count == 1)
        #expect(objectFrames[0].functionCalls == [call])
        #expect(objectFrames[0].functionCall == call)
        #expect(objectFrames[0].event == .functionCall(name: "get_weather", arguments: #"{"location":"合肥"}"#, isLast: true))
        #expect(String(decoding: objectFrames[0].payloadJSON!, as: UTF8.self)
            == #"{"choices":{"status":2,"seq":0,"text":[{"content":"","role":"assistant","index":0,"function_call":{"name":"get_weather","arguments":"{\"location\":\"合肥\"}"},"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"合肥\"}"}}]}]},"usage":{"text":{"prompt_tokens":6,"completion_tokens":42,"total_tokens":48}}}"#)

        let arrayFrames = try Self.decodeAll("data:" + Self.chunk(array) + "\n\ndata:[DONE]\n\n")
        #expect(arrayFrames[0].functionCalls == [call, SparkFunctionCall(name: "b", arguments: #"{"x":1}"#)])
        #expect(arrayFrames[0].status == 0 && arrayFrames[1].status == 2)
        // The synthesized payload is valid JSON that the WebSocket decoder reads the first call from.
        var wsDecoder = SparkFrameDecoder()
        let wrapped = Array(#"{"header":{"code":0,"status":1},"payload":"#.utf8) + arrayFrames[0].payloadJSON! + [UInt8(ascii: "}")]
        #expect(try wsDecoder.decode(wrapped).functionCall == SparkFunctionCall(name: "get_weather", arguments: #"{"location":"合肥"}"#))
    }

    @Test func errorChunkThrowsUpstream() throws {
        var decoder = SparkHTTPStreamDecoder()
        let error = #"{"code":10013,"message":"input content audit failed","sid":"cha000err@dx1","id":"cha000err@dx1","created":1}"#
        #expect(throws: SparkError.upstream(code: 10013, message: "input content audit failed", sid: "cha000err@dx1")) {
            _ = try decoder.append(Array(("data:" + error + "\n\n").utf8))
        }
        #expect(decoder.isFinished)
        #expect(try decoder.append(Array("data:[DONE]\n\n".utf8)).isEmpty)
        try decoder.finish()
    }

    @Test func framesBeforeAnErrorInTheSameCallAreNotLost() throws {
        var decoder = SparkHTTPStreamDecoder()
        let body = "data:" + Self.chunk(#""content":"前文""#) + "\n\n" + #"data:{"code":10014,"message":"output audit","sid":"s"}"# + "\n\n"
        let frames = try decoder.append(Array(body.utf8))
        #expect(frames.map(\.content) == ["前文"])
        #expect(decoder.isFinished)
        #expect(throws: SparkError.upstream(code: 10014, message: "output audit", sid: "s")) { try decoder.finish() }
        // Thrown once; then the decoder is simply finished.
        try decoder.finish()

        var second = SparkHTTPStreamDecoder()
        _ = try second.append(Array(body.utf8))
        #expect(throws: SparkError.upstream(code: 10014, message: "output audit", sid: "s")) { _ = try second.append([0x0A]) }
    }

    @Test func errorObjectChunk() throws {
        var decoder = SparkHTTPStreamDecoder()
        #expect(throws: SparkError.upstream(code: 11200, message: "licence", sid: nil)) {
            _ = try decoder.append(Array(#"data:{"error":{"message":"licence","code":"11200"}}"#.utf8 + [0x0A, 0x0A]))
        }
        var other = SparkHTTPStreamDecoder()
        #expect(throws: SparkError.malformedFrame("error chunk: boom")) {
            _ = try other.append(Array(#"data:{"error":{"message":"boom","type":"api_error"}}"#.utf8 + [0x0A, 0x0A]))
        }
    }

    @Test func chunksAfterTheLastFrameAreIgnored() throws {
        let body = "data:" + Self.chunk(#""content":"a""#, usage: Self.usageJSON) + "\n\n"
            + "data:" + Self.chunk(#""content":"late""#) + "\n\n"
            + #"data:{"code":10013,"message":"late error"}"# + "\n\n"
            + "data:not json\n\n"
            + "data:[DONE]\n\n"
            + "data:" + Self.chunk(#""content":"after done""#) + "\n\n"
        let frames = try Self.decodeAll(body)
        #expect(frames.map(\.content) == ["a"])
        #expect(frames.map(\.status) == [2])
    }

    @Test func endOfBodyBeforeTheEndIsClosedBeforeEnd() throws {
        var decoder = SparkHTTPStreamDecoder()
        _ = try decoder.append(Array(("data:" + Self.chunk(#""content":"a""#) + "\n\n").utf8))
        #expect(throws: SparkError.closedBeforeEnd(sid: Self.sid)) { try decoder.finish() }

        var empty = SparkHTTPStreamDecoder()
        #expect(throws: SparkError.closedBeforeEnd(sid: nil)) { try empty.finish() }

        // A truncated last event (no line end) is not dispatched.
        var truncated = SparkHTTPStreamDecoder()
        _ = try truncated.append(Array(("data:" + Self.chunk(#""content":"a""#, usage: Self.usageJSON)).utf8))
        #expect(throws: SparkError.closedBeforeEnd(sid: nil)) { try truncated.finish() }

        // A trailing event without its blank line that does not complete the answer is dropped:
        // finish() returns no frame and frameCount stays as it was.
        var trailing = SparkHTTPStreamDecoder()
        _ = try trailing.append(Array(("data:" + Self.chunk(#""content":"a""#) + "\n\ndata:" + Self.chunk(#""content":"b""#) + "\n").utf8))
        #expect(throws: SparkError.closedBeforeEnd(sid: Self.sid)) { try trailing.finish() }
        #expect(trailing.frameCount == 1)

        // One that completes it is read.
        var completing = SparkHTTPStreamDecoder()
        _ = try completing.append(Array(("data:" + Self.chunk(#""content":"a""#) + "\n\ndata:" + Self.chunk(#""content":"b""#, usage: Self.usageJSON) + "\r\n").utf8))
        #expect(try completing.finish().map(\.content) == ["b"])
        #expect(completing.frameCount == 2 && completing.sawLastFrame)

        // A last frame without [DONE] is a complete answer.
        var noDone = SparkHTTPStreamDecoder()
        _ = try noDone.append(Array(("data:" + Self.chunk(#""content":"a""#, usage: Self.usageJSON) + "\n\n").utf8))
        try noDone.finish()
    }

    @Test func malformedChunks() throws {
        let cases: [(String, SparkError)] = [
            ("data:{not json\n\n", .malformedFrame("")),
            ("data:[1,2]\n\n", .malformedFrame("chunk is not a JSON object")),
            (#"data:{"code":"0"}"# + "\n\n", .malformedFrame("code is not an integer")),
            (#"data:{"choices":{}}"# + "\n\n", .malformedFrame("choices is not an array")),
            (#"data:{"choices":[{"delta":{"content":5}}]}"# + "\n\n", .malformedFrame("delta.content is not a string")),
            (#"data:{"choices":[{"delta":{"tool_calls":"x"}}]}"# + "\n\n", .malformedFrame("delta.tool_calls is neither an array nor an object")),
            (#"data:{"usage":[]}"# + "\n\n", .malformedFrame("usage is not an object")),
            (#"data:{"usage":{"total_tokens":1.5}}"# + "\n\n", .malformedFrame("usage.total_tokens is not an integer")),
        ]
        for (body, expected) in cases {
            var decoder = SparkHTTPStreamDecoder()
            do {
                _ = try decoder.append(Array(body.utf8))
                Issue.record("no error for \(body)")
            } catch {
                if case .malformedFrame(let reason) = expected, reason.isEmpty {
                    guard case .malformedFrame = error else { Issue.record("\(error) for \(body)"); continue }
                } else {
                    #expect(error == expected, "\(body)")
                }
            }
            #expect(decoder.isFinished)
        }
    }

    @Test func nullsAndMissingMembersDefault() throws {
        let body = #"data:{"code":0,"sid":null,"choices":[{"delta":{"content":null,"reasoning_content":null,"tool_calls":null}}],"usage":null}"# + "\n\n"
            + #"data:{"choices":[]}"# + "\n\n" + "data:{}\n\ndata:[DONE]\n\n"
        let frames = try Self.decodeAll(body)
        #expect(frames.map(\.status) == [0, 1, 1, 2])
        #expect(frames.allSatisfy { $0.content == "" && $0.functionCalls.isEmpty && $0.reasoningContent == nil })
    }

    @Test func oversizeEventThrows() throws {
        var decoder = SparkHTTPStreamDecoder(maxEventBytes: 64)
        let big = "data:" + Self.chunk(#""content":""# + String(repeating: "x", count: 200) + #"""#) + "\n\n"
        #expect(throws: SparkError.malformedFrame("SSE event over 64 bytes")) { _ = try decoder.append(Array(big.utf8)) }
        #expect(decoder.isFinished)
    }

    @Test func idFallsBackForSid() throws {
        let frames = try Self.decodeAll(#"data:{"id":"only-id","choices":[{"delta":{"content":"x"}}]}"# + "\n\ndata:[DONE]\n\n")
        #expect(frames.map(\.sid) == ["only-id", "only-id"])
    }

    @Test func chunkEncoderOutputDecodes() throws {
        let sid = "cht000sim@dx0000000000000001"
        let usage = SparkUsage(promptTokens: 3, completionTokens: 4, totalTokens: 7)
        let call = SparkFunctionCall(name: "f", arguments: #"{"a":"\"q\""}"#, id: "call_x")
        let v1 = SparkHTTPChunkEncoder.event(SparkHTTPChunkEncoder.contentChunk(sid: sid, created: 1, content: "一"))
            + SparkHTTPChunkEncoder.event(SparkHTTPChunkEncoder.contentChunk(sid: sid, created: 1, content: "二", reasoning: "r", usage: usage))
            + SparkHTTPChunkEncoder.doneEvent
        var decoder = SparkHTTPStreamDecoder()
        let frames = try decoder.append(v1)
        #expect(frames.map(\.content) == ["一", "二"])
        #expect(frames.map(\.status) == [0, 2])
        #expect(frames[1].usage == usage && frames[1].reasoningContent == "r")
        #expect(frames.allSatisfy { $0.sid == sid })
        #expect(decoder.isFinished)

        let v2 = SparkHTTPChunkEncoder.event(SparkHTTPChunkEncoder.toolCallChunk(sid: sid, created: 1, call: call))
            + SparkHTTPChunkEncoder.event(SparkHTTPChunkEncoder.usageChunk(sid: sid, created: 1, usage: usage))
            + SparkHTTPChunkEncoder.doneEvent
        var second = SparkHTTPStreamDecoder()
        let toolFrames = try second.append(v2)
        #expect(toolFrames.map(\.status) == [0, 2])
        #expect(toolFrames[0].functionCalls == [call])
        #expect(String(decoding: SparkHTTPChunkEncoder.toolCallChunk(sid: "s", created: 9, call: call), as: UTF8.self)
            == #"{"code":0,"message":"Success","sid":"s","id":"s","created":9,"choices":[{"delta":{"role":"assistant","content":"","tool_calls":{"type":"function","function":{"arguments":"{\"a\":\"\\\"q\\\"\"}","name":"f"},"id":"call_x"}},"index":0}]}"#)
    }
}
