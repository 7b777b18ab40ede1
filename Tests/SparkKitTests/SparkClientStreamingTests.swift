import SparkKit
import SparkSimulator
import Testing

@Suite struct SparkClientStreamingTests {
    @Test func streamsTheSimulatorsAnswerInOrderEndingWithDone() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let client = harness.client()
        let (events, error) = await collect(client.stream(ChatRequest(prompt: "你好")))
        #expect(error == nil)
        #expect(events.text == SimulatorScript.answer(for: "你好"))
        #expect(events.count >= 2)
        guard case .done(let sid, let usage)? = events.last else {
            Issue.record("the last event is not done: \(String(describing: events.last))")
            return
        }
        #expect(sid?.hasPrefix("cht") == true)
        #expect((usage?.totalTokens ?? 0) > 0)
        #expect(events.dropLast().allSatisfy { if case .textDelta(let text) = $0 { !text.isEmpty } else { false } })
    }

    @Test func iteratingPastTheEndKeepsReturningNil() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        var iterator = harness.client().stream(ChatRequest(model: "Spark-Lite", prompt: "alias")).makeAsyncIterator()
        var text = ""
        while let event = try await iterator.next() {
            if case .textDelta(let delta) = event { text += delta }
        }
        #expect(text == SimulatorScript.answer(for: "alias"))
        #expect(try await iterator.next() == nil)
        let record = await harness.record()
        #expect(record?.path == "/v1.1/chat")
    }

    @Test func completeReturnsTheWholeAnswer() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let result = try await harness.client().complete(ChatRequest(model: "4.0Ultra", prompt: "合肥在哪里"))
        #expect(result.text == SimulatorScript.answer(for: "合肥在哪里"))
        #expect(result.reasoning.isEmpty)
        #expect(result.functionCall == nil)
        #expect(result.sid?.hasPrefix("cht") == true)
        #expect(result.usage != nil)
    }

    @Test func reasoningDeltasComeBeforeTheAnswerWithX1() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let (events, error) = await collect(harness.client().stream(ChatRequest(model: "x1", prompt: "think [[reasoning]]")))
        #expect(error == nil)
        #expect(events.reasoning == SimulatorScript.reasoningText)
        #expect(events.text == SimulatorScript.answer(for: "think"))
        let lastReasoning = events.lastIndex { if case .reasoningDelta = $0 { true } else { false } }
        let firstText = events.firstIndex { if case .textDelta = $0 { true } else { false } }
        #expect(lastReasoning != nil && firstText != nil && lastReasoning! < firstText!)
        let result = try await harness.client().complete(ChatRequest(model: "x1", prompt: "think [[reasoning]]"))
        #expect(result.reasoning == SimulatorScript.reasoningText)
    }

    @Test func functionCallIsOneEventThenDone() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let weather = SparkFunction(name: "get_weather", description: "天气查询",
                                    parametersJSON: Array(#"{"type":"object","properties":{"location":{"type":"string"}}}"#.utf8))
        let request = ChatRequest(model: "generalv3.5", prompt: "合肥 [[function:get_weather]]", functions: [weather])
        let (events, error) = await collect(harness.client().stream(request))
        #expect(error == nil)
        #expect(events.count == 2)
        guard case .functionCall(let name, let arguments)? = events.first else {
            Issue.record("expected a function call first, got \(events)")
            return
        }
        #expect(name == "get_weather")
        #expect(arguments.contains("合肥"))
        let result = try await harness.client().complete(request)
        #expect(result.functionCall?.name == "get_weather")
        #expect(result.text.isEmpty)
    }

    @Test func searchSourcesArriveBeforeTheAnswer() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let (events, error) = await collect(harness.client().stream(ChatRequest(prompt: "搜索 [[plugin]]")))
        #expect(error == nil)
        guard case .searchSources(let raw)? = events.first else {
            Issue.record("expected search sources first, got \(String(describing: events.first))")
            return
        }
        #expect(raw.contains("example.com/spark-sim"))
        #expect(events.text == SimulatorScript.answer(for: "搜索"))
    }
}
