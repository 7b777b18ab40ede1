/// The simulator's deterministic answers: the same prompt always gives the same text and chunks, so
/// tests can compare what arrives byte for byte.
///
/// The answer to PROMPT (directives already removed) is `"You said: PROMPT. "` followed by
/// `fixedSentence`, a Chinese sentence with an emoji, so multi-byte UTF-8 (3- and 4-byte) crosses chunk and
/// fragment boundaries.
public enum SimulatorScript {
    /// The sentence appended to every answer.
    public static let fixedSentence = "这是讯飞星火模拟器的固定回答：流式分片、多字节字符与表情😀都会完整到达。"

    /// Characters per chunk when no chunk count is asked for.
    public static let charactersPerChunk = 5

    /// Chunks are never fewer than this (when no chunk count is asked for).
    public static let minimumChunks = 3

    /// The reasoning text of `[[reasoning]]` answers (sent as `reasoning_content` before the answer).
    public static let reasoningText = "先理解问题，再组织回答。思考完毕。"

    /// Prepended to the first content frame by `[[big]]`: 2,600 × "星火模拟器大帧测试。" (78,000 bytes), so
    /// the frame needs the 64-bit payload length.
    public static let bigFiller = String(repeating: "星火模拟器大帧测试。", count: 2_600)

    /// The search sources of `[[plugin]]`, the raw JSON array carried as a string in `plugins.text[0].content`.
    public static let pluginSourcesJSON = Array(
        #"[{"index":1,"url":"https://example.com/spark-sim","title":"星火模拟器 · 搜索来源示例"}]"#.utf8)

    /// The full answer text for `prompt`.
    public static func answer(for prompt: String) -> String {
        "You said: \(prompt). " + fixedSentence
    }

    /// `answer(for:)` split on Character boundaries: exactly `chunkCount` pieces when given (some may be
    /// empty when the answer is shorter), otherwise pieces of `charactersPerChunk` characters but never
    /// fewer than `minimumChunks`. Joined, the pieces are the answer.
    public static func chunks(for prompt: String, chunkCount: Int?) -> [String] {
        split(answer(for: prompt), into: chunkCount)
    }

    /// Pieces of exactly `charactersPerChunk` characters each (`[[chunk-chars:N]]`): `answer(for:)`
    /// repeated as often as needed and cut to `count × charactersPerChunk` characters, `count` being
    /// `chunkCount` when given, else as many pieces as the answer fills (never fewer than
    /// `minimumChunks`).
    public static func chunks(for prompt: String, chunkCount: Int?, charactersPerChunk: Int?) -> [String] {
        guard let width = charactersPerChunk.map({ max(1, $0) }) else { return chunks(for: prompt, chunkCount: chunkCount) }
        let answer = Array(answer(for: prompt))
        let count = chunkCount.map { max(1, $0) } ?? max(minimumChunks, (answer.count + width - 1) / width)
        var pieces: [String] = []
        pieces.reserveCapacity(count)
        var position = 0
        for _ in 0..<count {
            var piece = ""
            for _ in 0..<width {
                piece.append(answer[position])
                position = (position + 1) % answer.count
            }
            pieces.append(piece)
        }
        return pieces
    }

    /// `text` split on Character boundaries as `chunks(for:chunkCount:)` describes.
    public static func split(_ text: String, into chunkCount: Int?) -> [String] {
        let characters = Array(text)
        let count: Int
        if let chunkCount {
            count = max(1, chunkCount)
        } else {
            count = max(minimumChunks, (characters.count + charactersPerChunk - 1) / charactersPerChunk)
        }
        var pieces: [String] = []
        pieces.reserveCapacity(count)
        // Even distribution: piece i holds characters [i*n/count, (i+1)*n/count).
        for index in 0..<count {
            let start = index * characters.count / count
            let end = (index + 1) * characters.count / count
            pieces.append(String(characters[start..<end]))
        }
        return pieces
    }
}
