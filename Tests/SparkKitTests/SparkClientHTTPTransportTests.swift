import SparkKit
import SparkSimulator
import Testing

/// The same `AsyncSequence` API over Spark's HTTP API (the simulator serves it on its WebSocket port).
@Suite struct SparkClientHTTPTransportTests {
    private func httpClient(_ harness: KitHarness, credentials: SparkCredentials = KitHarness.credentials) -> SparkClient {
        harness.client(credentials: credentials) { configuration in
            configuration.httpBaseURL = SparkHTTPBase(scheme: "http", host: "127.0.0.1", port: harness.port)
            configuration.upstreamProtocol = .http
        }
    }

    @Test func streamsTheAnswerInOrderEndingWithDone() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let (events, error) = await collect(httpClient(harness).stream(ChatRequest(prompt: "你好")))
        #expect(error == nil)
        #expect(events.text == SimulatorScript.answer(for: "你好"))
        guard case .done(let sid, let usage)? = events.last else {
            Issue.record("the last event is not done: \(String(describing: events.last))")
            return
        }
        #expect(sid?.isEmpty == false)
        #expect((usage?.totalTokens ?? 0) > 0)
        let record = await harness.record()
        #expect(record?.sparkProtocol == .http)
    }

    @Test func reasoningAndFunctionCallsArriveAsEvents() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let client = httpClient(harness)
        let thought = try await client.complete(ChatRequest(model: "x1", prompt: "think [[reasoning]]"))
        #expect(!thought.reasoning.isEmpty)
        #expect(thought.text == SimulatorScript.answer(for: "think"))
        let call = try await client.complete(ChatRequest(model: "generalv3.5", prompt: "weather [[function:get_weather]]",
                                                         functions: [SparkFunction(name: "get_weather", description: "", parametersJSON: Array("{}".utf8))]))
        #expect(call.functionCall?.name == "get_weather")
    }

    @Test func aBadPasswordIsUnauthorizedAndNeverShown() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let wrong = SparkCredentials(appID: "app12345", apiKey: "key", apiSecret: "s", apiPassword: "wrong-PASSWORD-never-shown")
        let (_, error) = await collect(httpClient(harness, credentials: wrong).stream(ChatRequest(prompt: "x")))
        let failure = try #require(error)
        #expect("\(failure)".contains("401"))
        #expect(!"\(failure)".contains("wrong-PASSWORD-never-shown"))
    }

    @Test func leavingTheLoopEarlyAbortsTheRequest() async throws {
        let harness = try KitHarness(chunkDelay: 0.02)
        defer { harness.stop() }
        let client = httpClient(harness)
        var seen = 0
        // 5,000 chunks 20 ms apart: the simulator cannot finish writing them (into socket buffers)
        // before the loop is left, however loaded the machine is.
        for try await event in client.stream(ChatRequest(prompt: "long [[chunks:5000]]")) {
            if case .textDelta = event { seen += 1 }
            if seen == 3 { break }
        }
        let record = try #require(await harness.record())
        guard case .clientClosed = record.end else {
            Issue.record("the simulator saw \(record.end), not the client closing")
            return
        }
    }
}
