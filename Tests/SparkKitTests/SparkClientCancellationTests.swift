import SparkKit
import SparkSimulator
import Testing

@Suite struct SparkClientCancellationTests {
    /// An answer that would take over half an hour (100,000 frames 20 ms apart): the assertions do
    /// not depend on how busy the machine is, only on the stream being cut short with code 1000.
    /// (Blocking tests of other suites can starve the 2-thread cooperative pool for many seconds on
    /// CI; promptness is measured by the relay's own blocking tests.)
    private static let longPrompt = "x [[chunks:100000]] [[delay:20]]"

    @Test func cancellingTheConsumingTaskClosesTheWebSocketWith1000() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let client = harness.client()
        let (started, signal) = AsyncStream<Void>.makeStream()
        let task = Task { () async -> (Int, SparkClientError?) in
            var count = 0
            do throws(SparkClientError) {
                for try await _ in client.stream(ChatRequest(prompt: Self.longPrompt)) {
                    count += 1
                    if count == 2 { signal.yield() }
                }
                return (count, nil)
            } catch {
                return (count, error)
            }
        }
        for await _ in started { break }
        let cancelledAt = ContinuousClock.now
        task.cancel()
        let (count, error) = await task.value
        #expect(error == .cancelled)
        #expect(count < 100_000)
        let record = try #require(await harness.record { _ in true })
        #expect(record.end == .clientClosed(code: 1000))
        #expect(record.endedAt - cancelledAt < .seconds(60))
        #expect(record.framesSent < 100_000)
    }

    @Test func breakingOutOfTheLoopClosesTheWebSocketWith1000() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let client = harness.client()
        var count = 0
        for try await _ in client.stream(ChatRequest(prompt: Self.longPrompt)) {
            count += 1
            if count == 2 { break }
        }
        let leftAt = ContinuousClock.now
        let record = try #require(await harness.record { _ in true })
        #expect(record.end == .clientClosed(code: 1000))
        #expect(record.endedAt - leftAt < .seconds(60))
        #expect(record.framesSent < 100_000)
    }

    @Test func anAlreadyCancelledTaskNeverConnects() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let client = harness.client()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let task = Task { () async -> SparkClientError? in
            for await _ in gate {}  // Ends when the task is cancelled or the stream finishes.
            do throws(SparkClientError) {
                _ = try await client.complete(ChatRequest(prompt: "x"))
                return nil
            } catch {
                return error
            }
        }
        task.cancel()
        open.finish()
        #expect(await task.value == .cancelled)
        #expect(harness.simulator.acceptedRequests == 0)
        #expect(harness.simulator.finishedConnections.isEmpty)
    }
}
