import Foundation
import SparkCodec
@testable import SparkSimulator
import Testing
import WebSocketCodec

/// Every directive of `SimulatorDirectives`, end to end over a socket.
@Suite("Fault and pacing directives")
struct SimulatorFaultTests {
    private func upstreamError(_ text: String) -> (code: Int, sid: String?)? {
        var decoder = SparkFrameDecoder()
        do throws(SparkError) {
            _ = try decoder.decode(Array(text.utf8))
            return nil
        } catch {
            if case .upstream(let code, _, let sid) = error { return (code, sid) }
            return nil
        }
    }

    @Test func errorDirectiveSendsOnlyAnErrorFrame() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("[[error:10013]]")
        #expect(texts.count == 1)
        #expect(upstreamError(texts[0])?.code == 10013)
        #expect(texts[0].contains(#""status":2"#))
        #expect(end == .close(1000))
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .faultInjected(.errorFrame(code: 10013)))
        #expect(record.fault == .errorFrame(code: 10013))
    }

    /// A fault asked for in the wrong form is refused with a message that says how to write it,
    /// rather than answered without the fault.
    @Test func malformedDirectiveIsRefusedWithTheRightForm() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("test [[drop]]")
        #expect(texts.count == 1)
        #expect(upstreamError(texts[0])?.code == 10005)
        #expect(texts[0].contains("[[drop@N]]"))
        #expect(end == .close(1000))
    }

    @Test func errorAfterNFramesComesAfterNContentFrames() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("审核 [[error:10014@2]]")
        #expect(texts.count == 3)
        let frames = try SimulatorHarness.decode(Array(texts.prefix(2)))
        #expect(frames.map(\.content).joined() == SimulatorScript.chunks(for: "审核", chunkCount: nil).prefix(2).joined())
        #expect(upstreamError(texts[2])?.code == 10014)
        #expect(upstreamError(texts[2])?.sid == frames[0].sid)
        #expect(end == .close(1000))
        #expect(harness.record(id: 1)?.end == .faultInjected(.errorFrame(code: 10014)))
    }

    @Test func faultPositionPastTheEndIsClampedBeforeTheLastFrame() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, _) = try harness.ask("x [[chunks:3]] [[error:10014@99]]")
        #expect(texts.count == 3)
        #expect(upstreamError(texts[2])?.code == 10014)
    }

    @Test func dropClosesTCPWithoutACloseFrame() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("掉线 [[drop@2]]")
        #expect(texts.count == 2)
        #expect(try SimulatorHarness.decode(texts).allSatisfy { !$0.isLast })
        #expect(end == .endOfStream)
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .faultInjected(.drop))
        #expect(record.framesSent == 2)
    }

    @Test func stallKeepsTheSocketOpenUntilTheClientCloses() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        try client.sendText(SimulatorHarness.request("卡住 [[stall@2]]"))
        #expect(try client.readTexts(2).count == 2)
        client.socket.setReceiveTimeout(0.3)
        #expect(throws: TestClientError.self) { _ = try client.readEvent() }
        #expect(harness.server.openConnections == 1)
        #expect(harness.server.finishedConnections.isEmpty)
        client.socket.setReceiveTimeout(5)
        try client.sendClose(code: 1001)
        #expect(try client.readUntilEnd().end == .close(1001))
        let record = try #require(harness.record(id: 1))
        #expect(record.end == .clientClosed(code: 1001, closeFrameReceived: true))
        #expect(record.fault == .stall)
        #expect(record.framesSent == 2)
    }

    @Test func fragmentSplitsMessagesMidCharacterAndReassemblesByteExact() throws {
        let harness = try SimulatorHarness()
        let (client, texts, _, end) = try harness.ask("分片 [[fragment]]")
        #expect(end == .close(1000))
        let frames = try SimulatorHarness.decode(texts)
        #expect(frames.map(\.content).joined() == SimulatorScript.answer(for: "分片"))
        let chunks = SimulatorScript.chunks(for: "分片", chunkCount: nil)
        let usage = try #require(frames.last?.usage)
        for (index, text) in texts.enumerated() {
            let last = index == texts.count - 1
            let expected = SparkFrameEncoder.contentFrame(sid: frames[0].sid!, status: last ? 2 : (index == 0 ? 0 : 1), seq: index,
                                                          content: chunks[index], usage: last ? usage : nil)
            #expect(Array(text.utf8) == expected, "message \(index)")
        }
        let dataFrames = client.rawFrames.filter { $0.opcode == .text || $0.opcode == .continuation }
        #expect(dataFrames.filter { $0.opcode == .text }.count == texts.count)
        #expect(dataFrames.count >= 2 * texts.count)
        #expect(dataFrames.contains { $0.opcode == .text && !$0.fin })
        // At least one fragment is not valid UTF-8 on its own: the split fell inside a character.
        #expect(dataFrames.contains { String(validating: $0.payload, as: UTF8.self) == nil })
    }

    @Test func pingBeforeEachMessageAndPongsAreCounted() throws {
        let harness = try SimulatorHarness()
        let (_, texts, pings, end) = try harness.ask("乒乓 [[ping]]")
        #expect(end == .close(1000))
        #expect(pings == texts.count)
        // Without a delay the whole answer is out before the first pong is back; pongs read before the end
        // are counted (see the next test), later ones are dropped with the connection.
        #expect(try #require(harness.record(id: 1)).pongsReceived <= texts.count)
    }

    @Test func pongsAreRecordedWhenTheClientAnswersBeforeTheEnd() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        try client.sendText(SimulatorHarness.request("[[ping]] [[stall@2]]"))
        #expect(try client.readTexts(2).count == 2)
        try client.sendClose(code: 1000)
        _ = try client.readUntilEnd()
        let record = try #require(harness.record(id: 1))
        #expect(record.pongsReceived == 2)
        #expect(harness.server.events.pongsReceived == 2)
    }

    @Test func oversizePadsTheFirstFrameToExactlyTheRequestedBytes() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("大 [[oversize:100000]]")
        #expect(end == .close(1000))
        #expect(texts[0].utf8.count == 100_000)
        let frames = try SimulatorHarness.decode(texts)
        let chunks = SimulatorScript.chunks(for: "大", chunkCount: nil)
        #expect(frames[0].content == chunks[0] + String(repeating: ".", count: frames[0].content.utf8.count - chunks[0].utf8.count))
        #expect(frames.dropFirst().map(\.content) == Array(chunks.dropFirst()))
    }

    @Test func bigSendsAFrameNeedingThe64BitLength() throws {
        let harness = try SimulatorHarness()
        let (client, texts, _, end) = try harness.ask("big [[big]]")
        #expect(end == .close(1000))
        #expect(client.rawFrames.first { $0.opcode == .text }!.payload.count > 65535)
        let frames = try SimulatorHarness.decode(texts)
        #expect(frames.map(\.content).joined() == SimulatorScript.bigFiller + SimulatorScript.answer(for: "big"))
    }

    @Test func functionAnswersWithOneFunctionCallFrame() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, end) = try harness.ask("北京 [[function:get_weather]]")
        #expect(end == .close(1000))
        let frames = try SimulatorHarness.decode(texts)
        #expect(frames.count == 1)
        #expect(frames[0].isLast)
        #expect(frames[0].functionCall == SparkFunctionCall(name: "get_weather", arguments: #"{"location":"北京"}"#))
        #expect(frames[0].content == "")
        #expect(frames[0].usage != nil)
        let (_, empty, _, _) = try harness.ask("[[function:get_weather]]")
        #expect(try SimulatorHarness.decode(empty)[0].functionCall?.arguments == #"{"location":"合肥"}"#)
    }

    @Test func reasoningFramesComeBeforeTheContent() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, _) = try harness.ask("想 [[reasoning]]")
        let frames = try SimulatorHarness.decode(texts)
        let thinking = frames.prefix { $0.reasoningContent != nil }
        #expect(thinking.count >= 3)
        #expect(thinking.allSatisfy { $0.content.isEmpty })
        #expect(thinking.compactMap(\.reasoningContent).joined() == SimulatorScript.reasoningText)
        #expect(frames.dropFirst(thinking.count).allSatisfy { $0.reasoningContent == nil })
        #expect(frames.map(\.content).joined() == SimulatorScript.answer(for: "想"))
        #expect(frames.map(\.seq) == Array(0..<frames.count).map { Optional($0) })
        #expect(frames.first?.status == 0)
        #expect(frames.last?.isLast == true)
    }

    @Test func pluginFrameComesFirst() throws {
        let harness = try SimulatorHarness()
        let (_, texts, _, _) = try harness.ask("搜 [[plugin]]")
        let frames = try SimulatorHarness.decode(texts)
        #expect(frames[0].hasChoices == false)
        let plugins = String(decoding: try #require(frames[0].pluginsJSON), as: UTF8.self)
        #expect(plugins.contains("ifly_search"))
        #expect(frames.dropFirst().map(\.content).joined() == SimulatorScript.answer(for: "搜"))
        #expect(frames[1].seq == 0)
    }

    @Test func chunksGivesExactlyNContentFrames() throws {
        let harness = try SimulatorHarness()
        for count in [1, 3, 7, 200] {
            let (_, texts, _, _) = try harness.ask("数 [[chunks:\(count)]]")
            let frames = try SimulatorHarness.decode(texts)
            #expect(frames.count == count)
            #expect(frames.map(\.content).joined() == SimulatorScript.answer(for: "数"))
            #expect(frames.last?.isLast == true)
        }
    }

    @Test func delayPacesEveryFrame() throws {
        let harness = try SimulatorHarness()
        let start = ContinuousClock.now
        let (_, texts, _, _) = try harness.ask("慢 [[chunks:4]] [[delay:60]]")
        #expect(texts.count == 4)
        #expect(ContinuousClock.now - start >= .milliseconds(4 * 60))
    }

    @Test func slowFirstDelaysOnlyTheFirstFrame() throws {
        let harness = try SimulatorHarness()
        let client = try harness.openClient()
        let start = ContinuousClock.now
        try client.sendText(SimulatorHarness.request("[[slow-first:300]] [[chunks:3]]"))
        _ = try client.readTexts(1)
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        #expect(try client.readUntilEnd().texts.count == 2)
    }

    @Test func stampPutsTheSendTimeInEveryHeader() throws {
        let harness = try SimulatorHarness()
        let before = UInt64(Date().timeIntervalSince1970 * 1e9)
        let (_, texts, _, _) = try harness.ask("时 [[stamp]] [[chunks:3]]")
        let after = UInt64(Date().timeIntervalSince1970 * 1e9) + 1_000_000
        #expect(texts.count == 3)
        var previous: UInt64 = 0
        for text in texts {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let header = try #require(object["header"] as? [String: Any])
            let stamp = try #require((header["sim_sent_ns"] as? NSNumber)?.uint64Value)
            #expect(stamp >= before && stamp <= after)
            let choices = (object["payload"] as? [String: Any])?["choices"] as? [String: Any]
            #expect((choices?["sim_sent_ns"] as? NSNumber)?.uint64Value == stamp)
            #expect(stamp >= previous)
            previous = stamp
        }
        #expect(try SimulatorHarness.decode(texts).map(\.content).joined() == SimulatorScript.answer(for: "时"))
    }

    @Test func directivesCombine() throws {
        let harness = try SimulatorHarness()
        let (client, texts, pings, _) = try harness.ask("组合 [[plugin]] [[fragment]] [[ping]] [[stamp]] [[chunks:2]]")
        #expect(texts.count == 3)
        #expect(pings == 3)
        #expect(texts.allSatisfy { $0.contains("sim_sent_ns") })
        #expect(client.rawFrames.contains { $0.opcode == .continuation })
        #expect(try SimulatorHarness.decode(texts).dropFirst().map(\.content).joined() == SimulatorScript.answer(for: "组合"))
    }
}
