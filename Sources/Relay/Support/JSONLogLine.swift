import Logging

/// Encodes one log record as a single-line JSON object (RFC 8259): `timestamp`, `level`,
/// `logger`, `message`, then the metadata keys in sorted order as fields of their own. Strings are
/// escaped so that no record can break the line or the object (quotes, backslashes, every control
/// character, and U+2028/U+2029, which JavaScript parsers treat as line ends). Integers, floating
/// point numbers and booleans given as `.stringConvertible` become JSON numbers and booleans;
/// nested metadata becomes nested arrays and objects. A metadata key that collides with one of the
/// four fixed fields is written as `metadata.<key>`, so no field is ever duplicated.
enum JSONLogLine {
    /// The fields every record has, in output order.
    static let fixedFields: Set<String> = ["timestamp", "level", "logger", "message"]

    static func encode(timestamp: String, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> String {
        var out = "{"
        field("timestamp", first: true, into: &out); string(timestamp, into: &out)
        field("level", into: &out); string(level.rawValue, into: &out)
        field("logger", into: &out); string(label, into: &out)
        field("message", into: &out); string(message, into: &out)
        for key in metadata.keys.sorted() {
            field(fixedFields.contains(key) ? "metadata." + key : key, into: &out)
            value(metadata[key]!, into: &out)
        }
        out += "}"
        return out
    }

    private static func field(_ name: String, first: Bool = false, into out: inout String) {
        if !first { out += "," }
        string(name, into: &out)
        out += ":"
    }

    private static func value(_ value: Logger.MetadataValue, into out: inout String) {
        switch value {
        case .string(let text):
            string(text, into: &out)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: out += String(number)
            case let number as Int64: out += String(number)
            case let number as UInt64: out += String(number)
            case let number as Double where number.isFinite: out += "\(number)"
            case let flag as Bool: out += flag ? "true" : "false"
            default: string(convertible.description, into: &out)
            }
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                self.value(item, into: &out)
            }
            out += "]"
        case .dictionary(let dictionary):
            out += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                field(key, first: index == 0, into: &out)
                self.value(dictionary[key]!, into: &out)
            }
            out += "}"
        }
    }

    /// A JSON string literal: `"`, `\` and U+0000...U+001F escaped (RFC 8259 §7), plus U+2028/U+2029.
    static func string(_ text: String, into out: inout String) {
        out += "\""
        var plainStart = text.unicodeScalars.startIndex
        var index = plainStart
        let scalars = text.unicodeScalars
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\u{08}": escape = "\\b"
            case "\u{0C}": escape = "\\f"
            case "\u{2028}": escape = "\\u2028"
            case "\u{2029}": escape = "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escape = nil
                }
            }
            if let escape {
                out.unicodeScalars.append(contentsOf: scalars[plainStart..<index])
                out += escape
                plainStart = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        out.unicodeScalars.append(contentsOf: scalars[plainStart..<scalars.endIndex])
        out += "\""
    }
}
