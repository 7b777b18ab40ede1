import SparkSimulator

/// What one bench stream asks the simulator for: a unique prompt (so a stream receiving another
/// stream's text is caught), a chunk count, the pause before each chunk, whether to stamp, and how
/// long each chunk's text is.
struct StreamSpec: Sendable {
    let index: Int
    let chunks: Int
    let delayMs: Int
    let stamp: Bool
    /// Characters of content in every chunk (`[[chunk-chars:N]]`, frames the size of real Spark
    /// deltas); `nil`: the simulator's answer split into `chunks` pieces (mostly 0–1 characters at 100).
    var charactersPerChunk: Int? = nil

    /// The prompt without directives; the answer text depends on it.
    var prompt: String { "bench-\(index)" }

    /// The prompt as sent, directives included.
    var fullPrompt: String {
        "\(prompt) [[chunks:\(chunks)]] [[delay:\(delayMs)]]" + (stamp ? " [[stamp]]" : "")
            + (charactersPerChunk.map { " [[chunk-chars:\($0)]]" } ?? "")
    }

    /// The content of each chunk, by `seq`, as the simulator's script produces it.
    var expectedChunks: [String] {
        SimulatorScript.chunks(for: prompt, chunkCount: chunks, charactersPerChunk: charactersPerChunk)
    }
}
