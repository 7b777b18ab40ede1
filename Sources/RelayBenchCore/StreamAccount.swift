/// Checks one stream's chunks against the simulator's script: every `seq` exactly once, in order,
/// with the expected text, and a completed end. Loss, duplication and reordering are told apart.
public struct StreamAccount: Sendable {
    /// The expected content of each chunk, by `seq`.
    public let expected: [String]
    /// Chunks received (duplicates included).
    public private(set) var received = 0
    /// Problems found so far (at most `maxProblems` kept).
    public private(set) var problems: [StreamProblem] = []
    /// Problems found, including those not kept.
    public private(set) var problemCount = 0
    private var seen: [Bool]
    private var highest = -1
    private let maxProblems: Int

    /// An account for a stream whose chunks should be `expected`.
    public init(expected: [String], maxProblems: Int = 8) {
        self.expected = expected
        self.seen = Array(repeating: false, count: expected.count)
        self.maxProblems = maxProblems
    }

    /// One chunk arrived.
    public mutating func record(seq: Int, content: String) {
        received += 1
        guard seq >= 0, seq < expected.count else {
            note(.unexpectedSeq(seq))
            return
        }
        if seen[seq] {
            note(.duplicate(seq: seq))
            return
        }
        seen[seq] = true
        if seq < highest { note(.reordered(seq: seq, after: highest)) }
        highest = max(highest, seq)
        if content != expected[seq] { note(.wrongText(seq: seq)) }
    }

    /// One SSE chunk's `data` arrived: records its `seq` and text, or, when it is not a readable
    /// chunk, that (with its first 80 bytes). Returns the chunk's fields when readable.
    @discardableResult
    public mutating func record(chunk data: [UInt8]) -> ChunkFields? {
        guard let fields = ChunkFields.parse(payload: data) else {
            recordUnreadable(String(decoding: data.prefix(80), as: UTF8.self))
            return nil
        }
        record(seq: fields.seq, content: fields.content)
        return fields
    }

    /// Something arrived that is not a readable chunk.
    public mutating func recordUnreadable(_ reason: String) {
        received += 1
        note(.unreadable(reason))
    }

    /// The stream is over; `completed` tells whether its end event arrived, `reason` why not.
    /// Returns every problem kept (missing chunks included).
    public mutating func finish(completed: Bool, reason: String = "") -> [StreamProblem] {
        let missing = seen.indices.filter { !seen[$0] }
        if let first = missing.first { note(.missing(count: missing.count, first: first)) }
        if !completed { note(.notCompleted(reason)) }
        return problems
    }

    /// `true` when no problem was found.
    public var isClean: Bool { problemCount == 0 }

    private mutating func note(_ problem: StreamProblem) {
        problemCount += 1
        if problems.count < maxProblems { problems.append(problem) }
    }
}
