import SparkSimulator

/// What one bench stream asks the simulator for: a unique prompt (so a stream receiving another
/// stream's text is caught), a chunk count, the pause before each chunk, and whether to stamp.
struct StreamSpec: Sendable {
    let index: Int
    let chunks: Int
    let delayMs: Int
    let stamp: Bool

    /// The prompt without directives; the answer text depends on it.
    var prompt: String { "bench-\(index)" }

    /// The prompt as sent, directives included.
    var fullPrompt: String {
        "\(prompt) [[chunks:\(chunks)]] [[delay:\(delayMs)]]" + (stamp ? " [[stamp]]" : "")
    }

    /// The content of each chunk, by `seq`, as the simulator's script produces it.
    var expectedChunks: [String] {
        SimulatorScript.chunks(for: prompt, chunkCount: chunks)
    }
}
