/// Why `JSONScanner` rejected its input, and at which byte offset.
public struct JSONScanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of violation.
    public enum Kind: Sendable, Equatable {
        /// The input ended inside a value.
        case unexpectedEnd
        /// A byte that the grammar does not allow at this point.
        case unexpectedByte(UInt8)
        /// Bytes after the top-level value.
        case trailingData
        /// A malformed number (RFC 8259 §6).
        case invalidNumber
        /// A bad escape, unescaped control character, lone surrogate or invalid UTF-8 (RFC 8259 §7, §8.1).
        case invalidString
        /// Nesting deeper than the scanner's `maxDepth`.
        case tooDeep
        /// A member lookup on a top-level value that is not an object.
        case notAnObject
    }

    /// The kind of violation.
    public var kind: Kind
    /// Byte offset in the input where it was detected.
    public var offset: Int

    /// Creates an error.
    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// A short English description (no input bytes are echoed except a single offending byte).
    public var description: String {
        switch kind {
        case .unexpectedEnd: "unexpected end of JSON at byte \(offset)"
        case .unexpectedByte(let byte): "unexpected byte 0x\(String(byte, radix: 16)) at byte \(offset)"
        case .trailingData: "data after the JSON value at byte \(offset)"
        case .invalidNumber: "invalid number at byte \(offset)"
        case .invalidString: "invalid string at byte \(offset)"
        case .tooDeep: "JSON nested too deeply at byte \(offset)"
        case .notAnObject: "JSON value is not an object"
        }
    }
}
