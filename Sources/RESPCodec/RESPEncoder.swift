/// Writes commands and values in RESP3 wire form.
///
/// Commands (what a client sends) are arrays of blob strings and always encode. Arbitrary values
/// (for tests, fuzzing and fake servers) are checked: a value that would not decode back to itself
/// throws `RESPEncodingError`, and the buffer is left as it was.
public enum RESPEncoder {
    /// Appends `command` as `*N\r\n$len\r\narg\r\n…`.
    public static func encode(_ command: RESPCommand, into buffer: inout [UInt8]) {
        appendHeader(UInt8(ascii: "*"), command.arguments.count, into: &buffer)
        for argument in command.arguments {
            appendHeader(UInt8(ascii: "$"), argument.count, into: &buffer)
            buffer.append(contentsOf: argument)
            buffer.append(contentsOf: RESPSyntax.crlf)
        }
    }

    /// `command` in wire form.
    public static func encode(_ command: RESPCommand) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(command, into: &buffer)
        return buffer
    }

    /// Appends `value` in wire form, or throws and leaves `buffer` unchanged.
    public static func encode(_ value: RESPValue, into buffer: inout [UInt8]) throws(RESPEncodingError) {
        let mark = buffer.count
        do throws(RESPEncodingError) {
            try write(value, topLevel: true, into: &buffer)
        } catch {
            buffer.removeSubrange(mark...)
            throw error
        }
    }

    /// `value` in wire form.
    public static func encode(_ value: RESPValue) throws(RESPEncodingError) -> [UInt8] {
        var buffer: [UInt8] = []
        try encode(value, into: &buffer)
        return buffer
    }

    private static func write(_ value: RESPValue, topLevel: Bool, into buffer: inout [UInt8]) throws(RESPEncodingError) {
        switch value {
        case .simpleString(let text):
            try appendLine(UInt8(ascii: "+"), text, into: &buffer)
        case .error(let message):
            try appendLine(UInt8(ascii: "-"), message, into: &buffer)
        case .integer(let number):
            appendLine(UInt8(ascii: ":"), String(number).utf8, into: &buffer)
        case .bulkString(let bytes):
            appendBlob(UInt8(ascii: "$"), bytes, into: &buffer)
        case .null:
            appendLine(UInt8(ascii: "_"), EmptyCollection(), into: &buffer)
        case .boolean(let flag):
            appendLine(UInt8(ascii: "#"), flag ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")], into: &buffer)
        case .double(let number):
            appendLine(UInt8(ascii: ","), RESPSyntax.doubleText(number).utf8, into: &buffer)
        case .bigNumber(let digits):
            guard RESPSyntax.isBigNumber(digits.utf8) else {
                throw RESPEncodingError(.invalidBigNumber, "a big number is an optional sign and digits (\(digits.utf8.count) bytes given)")
            }
            appendLine(UInt8(ascii: "("), digits.utf8, into: &buffer)
        case .bulkError(let message):
            appendBlob(UInt8(ascii: "!"), Array(message.utf8), into: &buffer)
        case .verbatimString(let format, let text):
            guard RESPSyntax.isVerbatimFormat(format.utf8) else {
                throw RESPEncodingError(.invalidVerbatimFormat, "a verbatim format is three printable ASCII bytes other than ':'")
            }
            appendHeader(UInt8(ascii: "="), 4 + text.count, into: &buffer)
            buffer.append(contentsOf: format.utf8)
            buffer.append(UInt8(ascii: ":"))
            buffer.append(contentsOf: text)
            buffer.append(contentsOf: RESPSyntax.crlf)
        case .array(let values):
            try appendAggregate(UInt8(ascii: "*"), values, into: &buffer)
        case .set(let values):
            try appendAggregate(UInt8(ascii: "~"), values, into: &buffer)
        case .push(let values):
            guard topLevel else { throw RESPEncodingError(.nestedPush, "a push may only appear at the top level") }
            try appendAggregate(UInt8(ascii: ">"), values, into: &buffer)
        case .map(let pairs):
            try appendPairs(UInt8(ascii: "%"), pairs, into: &buffer)
        case .attributed(let pairs, let value):
            try appendPairs(UInt8(ascii: "|"), pairs, into: &buffer)
            try write(value, topLevel: topLevel, into: &buffer)
        }
    }

    private static func appendHeader(_ type: UInt8, _ count: Int, into buffer: inout [UInt8]) {
        buffer.append(type)
        buffer.append(contentsOf: String(count).utf8)
        buffer.append(contentsOf: RESPSyntax.crlf)
    }

    private static func appendLine(_ type: UInt8, _ text: String, into buffer: inout [UInt8]) throws(RESPEncodingError) {
        guard !RESPSyntax.hasLineBreak(text.utf8) else {
            throw RESPEncodingError(.lineBreakInSimpleText, "simple strings and errors cannot contain CR or LF")
        }
        appendLine(type, text.utf8, into: &buffer)
    }

    private static func appendLine(_ type: UInt8, _ bytes: some Sequence<UInt8>, into buffer: inout [UInt8]) {
        buffer.append(type)
        buffer.append(contentsOf: bytes)
        buffer.append(contentsOf: RESPSyntax.crlf)
    }

    private static func appendBlob(_ type: UInt8, _ bytes: [UInt8], into buffer: inout [UInt8]) {
        appendHeader(type, bytes.count, into: &buffer)
        buffer.append(contentsOf: bytes)
        buffer.append(contentsOf: RESPSyntax.crlf)
    }

    private static func appendAggregate(_ type: UInt8, _ values: [RESPValue], into buffer: inout [UInt8]) throws(RESPEncodingError) {
        appendHeader(type, values.count, into: &buffer)
        for value in values { try write(value, topLevel: false, into: &buffer) }
    }

    private static func appendPairs(_ type: UInt8, _ pairs: [RESPPair], into buffer: inout [UInt8]) throws(RESPEncodingError) {
        appendHeader(type, pairs.count, into: &buffer)
        for pair in pairs {
            try write(pair.key, topLevel: false, into: &buffer)
            try write(pair.value, topLevel: false, into: &buffer)
        }
    }
}
