/// Checks one OpenAI-compatible stream (`POST /v1/chat/completions`, `stream: true`, straight from the
/// relay or through a proxy such as LiteLLM) against the simulator's script.
///
/// OpenAI chunks carry no `seq` (the relay re-encodes every Spark frame), so the n-th chunk with
/// non-empty `delta.content` is taken as the script's n-th non-empty piece: each must arrive once, in
/// order, with exactly that text (a proxy that merged or split chunks shows up as wrong text plus
/// missing or unexpected pieces), the joined text must be the whole answer, the last chunk's
/// `finish_reason` must be `stop`, and `data: [DONE]` must end the stream with nothing after it.
/// Role-only, finish and usage chunks are counted apart and never as content.
public struct OpenAIStreamAccount: Sendable {
    /// What one event was.
    public enum Delivery: Sendable, Equatable {
        /// The content chunk for the script's piece `index` (0-based; the index to time it by).
        case content(index: Int)
        /// A chunk without content (role, finish reason, usage).
        case control
        /// `data: [DONE]`.
        case done
        /// An error chunk.
        case error(String)
        /// Unreadable data, or data after `[DONE]`.
        case unreadable
    }

    /// The per-piece account (piece index used as `seq`).
    public private(set) var account: StreamAccount
    /// The whole expected answer.
    public let expectedText: String
    /// The content received, joined.
    public private(set) var text = ""
    /// Chunks with non-empty `delta.content`.
    public private(set) var contentChunks = 0
    /// Chunks without content (role-only, finish, usage).
    public private(set) var controlChunks = 0
    /// The last non-null `finish_reason` seen.
    public private(set) var finishReason: String?
    /// `data: [DONE]` arrived.
    public private(set) var sawDone = false
    /// The first error chunk's message.
    public private(set) var error: String?

    /// An account for a stream whose answer is `pieces` joined (the simulator's chunks; empty pieces
    /// are dropped because the relay sends no chunk for an empty text).
    public init(pieces: [String]) {
        let nonEmpty = pieces.filter { !$0.isEmpty }
        account = StreamAccount(expected: nonEmpty)
        expectedText = nonEmpty.joined()
    }

    /// Records one event's data.
    @discardableResult
    public mutating func record(data: [UInt8]) -> Delivery {
        record(OpenAIChunk.parse(data))
    }

    /// Records one parsed event.
    @discardableResult
    public mutating func record(_ chunk: OpenAIChunk) -> Delivery {
        if sawDone {
            account.recordUnreadable("data after [DONE]")
            return .unreadable
        }
        switch chunk {
        case .done:
            sawDone = true
            return .done
        case .error(let message):
            if error == nil { error = message }
            return .error(message)
        case .unreadable(let why):
            account.recordUnreadable(why)
            return .unreadable
        case .chunk(let content, _, let reason, _):
            if let reason { finishReason = reason }
            guard let content, !content.isEmpty else {
                controlChunks += 1
                return .control
            }
            let index = contentChunks
            contentChunks += 1
            text += content
            account.record(seq: index, content: content)
            return .content(index: index)
        }
    }

    /// `true` when the joined content is exactly the expected answer.
    public var textMatches: Bool { text == expectedText }

    /// The stream is over (its response ended, its connection closed, or it was aborted with `reason`).
    /// Returns every problem found; empty means a clean stream.
    public mutating func finish(reason: String = "") -> [StreamProblem] {
        let completed: Bool
        var why = reason
        if let error {
            completed = false
            why = "error chunk: \(error)"
        } else if !sawDone {
            completed = false
            if why.isEmpty { why = "no [DONE]" }
        } else if finishReason != "stop" {
            completed = false
            why = "finish_reason \(finishReason ?? "missing")"
        } else {
            completed = true
        }
        var problems = account.finish(completed: completed, reason: why)
        // Piece-by-piece equality implies the whole text; this catches only what slipped past it.
        if !textMatches, !problems.contains(where: { if case .wrongText = $0 { true } else { false } }),
           !problems.contains(where: { if case .missing = $0 { true } else { false } }) {
            problems.append(.wrongText(seq: contentChunks))
        }
        return problems
    }
}
