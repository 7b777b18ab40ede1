@testable import SparkSimulator
import Testing

@Suite("SimulatorScript answers and chunks")
struct SimulatorScriptTests {
    @Test func answerIsDocumentedTransformation() {
        #expect(SimulatorScript.answer(for: "你好") == "You said: 你好. " + SimulatorScript.fixedSentence)
        #expect(SimulatorScript.fixedSentence.utf8.contains { $0 >= 0xF0 })  // a 4-byte character (emoji)
    }

    @Test func chunksJoinToTheAnswerOnCharacterBoundaries() {
        for prompt in ["", "a", "你好", "Hello, world! 👋🏽 family: 👨‍👩‍👧"] {
            let chunks = SimulatorScript.chunks(for: prompt, chunkCount: nil)
            #expect(chunks.joined() == SimulatorScript.answer(for: prompt))
            #expect(chunks.count >= SimulatorScript.minimumChunks)
            #expect(chunks.allSatisfy { $0.count <= SimulatorScript.charactersPerChunk })
        }
        // The family emoji is one Character and must never be split.
        let family = SimulatorScript.chunks(for: "👨‍👩‍👧", chunkCount: 40)
        #expect(family.contains { $0.contains("👨‍👩‍👧") })
    }

    @Test func explicitChunkCountIsExact() {
        for count in [1, 2, 3, 10, 500] {
            let chunks = SimulatorScript.chunks(for: "q", chunkCount: count)
            #expect(chunks.count == count)
            #expect(chunks.joined() == SimulatorScript.answer(for: "q"))
        }
    }

    @Test func shortTextStillGivesMinimumChunks() {
        #expect(SimulatorScript.split("ab", into: nil) == ["", "a", "b"])
    }

    @Test func bigFillerNeedsThe64BitLength() {
        #expect(SimulatorScript.bigFiller.utf8.count > 65535)
    }
}
