/// Deterministic inputs for differential tests of the word-at-a-time and unsafe-buffer fast paths:
/// every length 0...300 at every start offset 0...7 (so eight-byte loads meet every alignment and
/// every tail length), each with random and adversarial contents. The same inputs run in debug and in
/// `swift test -c release`, where the optimizer may change what such code does.
public enum DifferentialInputs {
    /// Every payload length the tests cover.
    public static let lengths = 0...300
    /// Every start offset of the payload inside its surrounding buffer.
    public static let offsets = 0...7

    /// A small, fast, seedable generator (SplitMix64), so every run sees the same inputs.
    public struct Generator: RandomNumberGenerator, Sendable {
        private var state: UInt64

        public init(seed: UInt64) {
            state = seed
        }

        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// A byte drawn from `alphabet`.
        public mutating func byte(from alphabet: [UInt8]) -> UInt8 {
            alphabet[Int(next() % UInt64(alphabet.count))]
        }

        /// `count` bytes drawn from `alphabet` (any byte when `nil`).
        public mutating func bytes(_ count: Int, from alphabet: [UInt8]? = nil) -> [UInt8] {
            (0..<count).map { _ in alphabet.map { byte(from: $0) } ?? UInt8(truncatingIfNeeded: next()) }
        }
    }

    /// One test input: its name (for failure messages) and its bytes.
    public struct Case: Sendable {
        public var name: String
        public var bytes: [UInt8]
    }

    /// Positions where a single odd byte is planted: both ends, both sides of each eight-byte word
    /// boundary near the start, and the middle.
    public static func markPositions(length: Int) -> [Int] {
        guard length > 0 else { return [] }
        let candidates = [0, 1, 6, 7, 8, 9, 15, 16, length / 2, length - 9, length - 8, length - 2, length - 1]
        var seen = Set<Int>()
        return candidates.filter { $0 >= 0 && $0 < length && seen.insert($0).inserted }
    }

    /// The adversarial and random contents of one length: random bytes, random ASCII, all 0x00, all
    /// 0xFF, all 0x80, and ASCII with one `odd` byte at each of `markPositions`.
    public static func cases(length: Int, seed: UInt64, odd: UInt8 = 0x80) -> [Case] {
        var generator = Generator(seed: seed &+ UInt64(length) &* 0x1_0000_0001)
        var cases = [
            Case(name: "random", bytes: generator.bytes(length)),
            Case(name: "ascii", bytes: generator.bytes(length, from: Array(0x20...0x7E))),
            Case(name: "zeros", bytes: [UInt8](repeating: 0x00, count: length)),
            Case(name: "ones", bytes: [UInt8](repeating: 0xFF, count: length)),
            Case(name: "high", bytes: [UInt8](repeating: 0x80, count: length)),
        ]
        let base = generator.bytes(length, from: Array(0x20...0x7E))
        for position in markPositions(length: length) {
            var bytes = base
            bytes[position] = odd
            cases.append(Case(name: "ascii+\(odd)@\(position)", bytes: bytes))
        }
        return cases
    }

    /// `bytes` copied into a larger array so that it starts `offset` bytes in, with guard bytes on
    /// both sides; returns the whole array and the range `bytes` occupies.
    public static func embed(_ bytes: [UInt8], at offset: Int, guardByte: UInt8 = 0xA5) -> (storage: [UInt8], range: Range<Int>) {
        let storage = [UInt8](repeating: guardByte, count: offset) + bytes + [UInt8](repeating: guardByte, count: 16)
        return (storage, offset..<(offset + bytes.count))
    }

    /// Calls `body` with every length, every offset and every case of that length; collects the
    /// descriptions `body` returns for mismatches (an empty array means every case agreed).
    public static func mismatches(seed: UInt64, odd: UInt8 = 0x80, limit: Int = 10,
                                  _ body: (_ bytes: [UInt8], _ offset: Int) -> String?) -> [String] {
        var found: [String] = []
        for length in lengths {
            for testCase in cases(length: length, seed: seed, odd: odd) {
                for offset in offsets {
                    if let problem = body(testCase.bytes, offset) {
                        found.append("length \(length), offset \(offset), \(testCase.name): \(problem)")
                        if found.count >= limit { return found }
                    }
                }
            }
        }
        return found
    }
}
