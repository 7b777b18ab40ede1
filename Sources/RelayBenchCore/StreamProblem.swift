/// One way a stream's received chunks differ from what the simulator sent.
public enum StreamProblem: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// A chunk arrived twice.
    case duplicate(seq: Int)
    /// A chunk arrived after a later one.
    case reordered(seq: Int, after: Int)
    /// A chunk's text differs from the script.
    case wrongText(seq: Int)
    /// A `seq` outside the answer.
    case unexpectedSeq(Int)
    /// An event whose data could not be read as a chunk.
    case unreadable(String)
    /// Chunks that never arrived: how many, and the first one.
    case missing(count: Int, first: Int)
    /// The stream ended without its `done` event (error, close or timeout).
    case notCompleted(String)

    /// A short kind name, for counting problems by kind.
    public var kind: String {
        switch self {
        case .duplicate: return "duplicate"
        case .reordered: return "reordered"
        case .wrongText: return "wrong_text"
        case .unexpectedSeq: return "unexpected_seq"
        case .unreadable: return "unreadable"
        case .missing: return "missing"
        case .notCompleted: return "not_completed"
        }
    }

    public var description: String {
        switch self {
        case .duplicate(let seq): return "chunk \(seq) arrived twice"
        case .reordered(let seq, let after): return "chunk \(seq) arrived after chunk \(after)"
        case .wrongText(let seq): return "chunk \(seq) has the wrong text"
        case .unexpectedSeq(let seq): return "unexpected seq \(seq)"
        case .unreadable(let why): return "unreadable event: \(why)"
        case .missing(let count, let first): return "\(count) chunk(s) missing, first seq \(first)"
        case .notCompleted(let why): return "not completed: \(why)"
        }
    }
}
