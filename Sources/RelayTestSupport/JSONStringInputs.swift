/// String-like inputs for the differential tests of code that scans the inside of JSON strings: for
/// every length 0...300 at every offset 0...7, random bytes that matter there (quote, backslash,
/// control characters, high and invalid UTF-8 bytes), the same with the escapes replaced, and CJK text.
public enum JSONStringInputs {
    /// The bytes the random contents are drawn from: printable ASCII, then (weighted by repetition)
    /// the bytes that matter inside a JSON string.
    public static let alphabet: [UInt8] = Array(0x20...0x7E) + [0x22, 0x5C, 0x5C, 0x00, 0x09, 0x0A, 0x1F, 0x7F,
                                                                0x80, 0xBF, 0xC3, 0xA9, 0xE4, 0xBD, 0xA0, 0xED, 0xF0, 0xFF]

    /// The descriptions `body` returns for mismatches (the first ten).
    public static func mismatches(seed: UInt64, _ body: (_ content: [UInt8], _ offset: Int) -> String?) -> [String] {
        var generator = DifferentialInputs.Generator(seed: seed)
        var problems: [String] = []
        for length in DifferentialInputs.lengths {
            let content = generator.bytes(length, from: alphabet)
            let clean = content.map { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 ? 0x61 : $0 }
            let chinese = Array(String(repeating: "你好", count: length / 6 + 1).utf8.prefix(length))
            for offset in DifferentialInputs.offsets {
                for bytes in [content, clean, chinese] {
                    if let problem = body(bytes, offset) { problems.append("length \(length), offset \(offset): \(problem)") }
                }
            }
        }
        return Array(problems.prefix(10))
    }
}
