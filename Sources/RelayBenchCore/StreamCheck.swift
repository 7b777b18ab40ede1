/// Correctness of a batch of streams: how many were clean, problems by kind, and a few examples.
public struct StreamCheck: Sendable, Codable, Equatable {
    /// Streams started.
    public var streams = 0
    /// Streams with every chunk once, in order, with the right text, and a completed end.
    public var cleanStreams = 0
    /// Chunks received over all streams.
    public var chunks = 0
    /// Problem counts by `StreamProblem.kind`.
    public var problemsByKind: [String: Int] = [:]
    /// Up to ten examples, `stream N: problem`.
    public var examples: [String] = []

    /// An empty check.
    public init() {}

    /// `true` when every stream was clean.
    public var passed: Bool { streams > 0 && cleanStreams == streams }

    /// Adds one finished stream's account.
    public mutating func add(stream index: Int, account: StreamAccount, problems: [StreamProblem]) {
        streams += 1
        chunks += account.received
        if problems.isEmpty {
            cleanStreams += 1
            return
        }
        for problem in problems {
            problemsByKind[problem.kind, default: 0] += 1
            if examples.count < 10 { examples.append("stream \(index): \(problem)") }
        }
    }

    /// Adds another batch.
    public mutating func merge(_ other: StreamCheck) {
        streams += other.streams
        cleanStreams += other.cleanStreams
        chunks += other.chunks
        for (kind, count) in other.problemsByKind { problemsByKind[kind, default: 0] += count }
        examples.append(contentsOf: other.examples.prefix(max(0, 10 - examples.count)))
    }
}
