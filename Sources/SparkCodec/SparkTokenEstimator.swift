/// A rough token count for Spark's context limits (error 10907), from iFlytek's rule of thumb
/// (SparkCodec/README.md §4.5): one token ≈ 1.5 Chinese characters or 0.8 English words. CJK scalars
/// count 2/3 token each; every other run of non-space characters (a "word") counts 1.25 tokens.
/// Only an estimate: Spark's real tokenizer is not public.
public enum SparkTokenEstimator {
    /// Estimated tokens in `text`, rounded up.
    public static func estimate(_ text: String) -> Int {
        var tally = Tally()
        tally.add(text)
        return tally.tokens
    }

    /// A running estimate of text that arrives in pieces (a streamed answer): the same count as
    /// `estimate` of the pieces joined (a word split across pieces counts once).
    public struct Tally: Sendable, Equatable {
        private var cjk = 0
        private var words = 0
        private var inWord = false

        /// An empty tally.
        public init() {}

        /// Counts the next piece.
        public mutating func add(_ text: String) {
            for scalar in text.unicodeScalars {
                if SparkTokenEstimator.isCJK(scalar) {
                    cjk += 1
                    inWord = false
                } else if scalar.properties.isWhitespace {
                    inWord = false
                } else if !inWord {
                    words += 1
                    inWord = true
                }
            }
        }

        /// ceil(cjk / 1.5) + ceil(words * 1.25), in integers.
        public var tokens: Int { (cjk * 2 + 2) / 3 + (words * 5 + 3) / 4 }
    }

    /// Estimated tokens of all message contents together.
    public static func estimate(_ messages: [SparkChatMessage]) -> Int {
        messages.reduce(0) { $0 + estimate($1.content) }
    }

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3000...0x303F, 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF00...0xFFEF,
             0x20000...0x2FA1F:
            true
        default:
            false
        }
    }
}
