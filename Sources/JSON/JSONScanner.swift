/// A strict RFC 8259 JSON scanner over bytes: validates, parses into `JSONValue` (recording the byte
/// range of every object member's value), finds a top-level member's raw bytes, and compacts JSON to
/// one line. Every operation is a single O(n) pass; nesting is bounded by `maxDepth`.
public enum JSONScanner {
    /// Default nesting bound: deep enough for any Spark frame or request, shallow enough for the stack.
    public static let defaultMaxDepth = 64

    /// Parses one JSON text (RFC 8259 §2: optional whitespace, one value, optional whitespace).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONScanError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONScanError(.trailingData, at: parser.index) }
        return value
    }

    /// `parse` that materializes only `pick` (everything is still validated, with the same errors).
    /// `isCompact` is `true` when the input holds no insignificant whitespace, so any value's byte
    /// range is already its compact form.
    package static func parse(_ bytes: [UInt8], picking pick: JSONPick, maxDepth: Int = defaultMaxDepth) throws(JSONScanError) -> (value: JSONValue, isCompact: Bool) {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0, pick: pick)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONScanError(.trailingData, at: parser.index) }
        return (value, !parser.sawWhitespace)
    }

    /// `true` when `bytes` is one valid JSON text.
    public static func isValid(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) -> Bool {
        (try? parse(bytes, maxDepth: maxDepth)) != nil
    }

    /// The byte range of the value of the top-level member `name` (last one wins), `nil` if there is no
    /// such member. Validates the whole input; throws `.notAnObject` when the top level is not an object.
    public static func memberRange(_ name: String, in bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONScanError) -> Range<Int>? {
        let value = try parse(bytes, maxDepth: maxDepth)
        guard value.isObject else { throw JSONScanError(.notAnObject, at: 0) }
        return value.member(name)?.valueRange
    }

    /// Removes insignificant whitespace (RFC 8259 §2: space, tab, LF, CR outside strings), keeping every
    /// other byte, so the result is one line and byte-identical otherwise. Expects valid JSON; on other
    /// input it still only drops whitespace outside string literals.
    public static func compact(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                out.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "\""):
                inString = true
                out.append(byte)
            default:
                out.append(byte)
            }
        }
        return out
    }

    /// `compact` for a whole array.
    public static func compact(_ bytes: [UInt8]) -> [UInt8] {
        compact(bytes[...])
    }
}
