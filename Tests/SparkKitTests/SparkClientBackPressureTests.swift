@testable import SparkKit
import SparkSimulator
import Testing

@Suite struct SparkClientBackPressureTests {
    @Test func aSlowConsumerKeepsTheBufferWithinItsLimit() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let client = harness.client { $0.bufferLimit = 16 }
        // A prompt long enough that every one of the 5,000 chunks carries text (so each is an event).
        let question = String(repeating: "星", count: 6_000)
        var iterator = client.stream(ChatRequest(prompt: question + " [[chunks:5000]] [[delay:0]]")).makeAsyncIterator()
        var text = ""
        var received = 0
        var done = false
        while let event = try await iterator.next() {
            received += 1
            if received <= 5 {
                try await Task.sleep(for: .milliseconds(40))  // Only to make the consumer slow.
            }
            switch event {
            case .textDelta(let delta): text += delta
            case .done: done = true
            default: break
            }
        }
        #expect(done)
        #expect(text == SimulatorScript.answer(for: question))
        #expect(received == 5_001)
        #expect(iterator.core.bufferLimit == 16)
        #expect(iterator.core.maxBufferedCount <= 16)
        #expect(iterator.core.maxBufferedCount >= 8)
        #expect(iterator.core.pauseCount >= 1)
    }

    @Test func tinyLimitsAreRaisedToOneFramesEvents() {
        var configuration = SparkClient.Configuration()
        configuration.bufferLimit = 0
        #expect(configuration.effectiveBufferLimit == SparkEvent.maxEventsPerFrame)
    }
}
