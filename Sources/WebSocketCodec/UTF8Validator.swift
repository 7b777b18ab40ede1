/// An incremental UTF-8 validator (RFC 3629, Unicode Table 3-7) that can be fed a text message fragment
/// by fragment. It fails as soon as a byte makes the sequence impossible, so a connection can be failed
/// before the final fragment arrives (RFC 6455 §8.1). Rejects overlong forms, surrogates (U+D800–DFFF)
/// and code points above U+10FFFF.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current character.
    private var pending = 0
    /// Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private var failed = false

    /// A validator at a character boundary.
    public init() {}

    /// Feeds the next bytes; `false` once any byte so far cannot be part of valid UTF-8 (and from then on).
    public mutating func validate(_ bytes: some Sequence<UInt8>) -> Bool {
        guard !failed else { return false }
        let handled = bytes.withContiguousStorageIfAvailable { buffer -> Bool in
            validateContiguous(buffer)
        }
        if let handled { return handled }
        for byte in bytes where !step(byte) {
            return false
        }
        return true
    }

    /// `true` when no multi-byte sequence is left half-finished (required at the end of a message).
    public var isComplete: Bool {
        !failed && pending == 0
    }

    /// Returns to the initial state, for the next message.
    public mutating func reset() {
        self = UTF8Validator()
    }

    private mutating func validateContiguous(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = buffer.count
        let raw = UnsafeRawBufferPointer(buffer)
        while index < count {
            // ASCII fast path: eight bytes at a time while between characters.
            if pending == 0 {
                while index + 8 <= count,
                    raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                }
                if index == count { break }
            }
            guard step(buffer[index]) else { return false }
            index += 1
        }
        return true
    }

    private mutating func step(_ byte: UInt8) -> Bool {
        if pending > 0 {
            guard byte >= lower, byte <= upper else { return fail() }
            pending -= 1
            lower = 0x80
            upper = 0xBF
            return true
        }
        switch byte {
        case 0x00...0x7F:
            return true
        case 0xC2...0xDF:
            pending = 1
        case 0xE0:
            pending = 2
            lower = 0xA0  // overlong below U+0800
        case 0xE1...0xEC, 0xEE...0xEF:
            pending = 2
        case 0xED:
            pending = 2
            upper = 0x9F  // U+D800–DFFF surrogates
        case 0xF0:
            pending = 3
            lower = 0x90  // overlong below U+10000
        case 0xF1...0xF3:
            pending = 3
        case 0xF4:
            pending = 3
            upper = 0x8F  // above U+10FFFF
        default:
            // 0x80–0xC1 (stray continuation, overlong 2-byte) and 0xF5–0xFF never start a character.
            return fail()
        }
        return true
    }

    private mutating func fail() -> Bool {
        failed = true
        return false
    }
}
