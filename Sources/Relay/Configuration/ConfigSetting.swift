import JSON
import SparkCodec

/// One configuration key, declared once: its dotted name, the values it takes, a one-line
/// description, and where it goes in `RelayConfiguration`. `ConfigLoader` reads a file through
/// these declarations, the reference table in `Config/README.md` is rendered from them, and a test
/// holds `Config/relay.json` to their defaults.
struct ConfigSetting {
    /// Dotted name, `section.key` (`server.port`).
    let key: String
    /// The values it takes, for the reference (`integer 0 to 65535`).
    let values: String
    /// What it does, in one line.
    let doc: String
    /// Whether `Config/relay.json` lists it (credentials and optional files are left out).
    let shipped: Bool
    /// The default as JSON text, read from `RelayConfiguration()`.
    let defaultJSON: (RelayConfiguration) -> String
    /// Reads the key from its section (when present) into the configuration.
    let load: (inout ConfigReader, inout RelayConfiguration) throws(ConfigError) -> Void

    /// The section the key lives in (`server`).
    var section: String { String(key.prefix(while: { $0 != "." })) }
    /// The key's name inside its section (`port`).
    var name: String { String(key.drop(while: { $0 != "." }).dropFirst()) }

    private init(key: String, values: String, doc: String, shipped: Bool, defaultJSON: @escaping (RelayConfiguration) -> String,
                 load: @escaping (String, inout ConfigReader, inout RelayConfiguration) throws(ConfigError) -> Void) {
        self.key = key
        self.values = values
        self.doc = doc
        self.shipped = shipped
        self.defaultJSON = defaultJSON
        let name = String(key.drop(while: { $0 != "." }).dropFirst())
        self.load = { (reader: inout ConfigReader, config: inout RelayConfiguration) throws(ConfigError) in
            try load(name, &reader, &config)
        }
    }

    /// A whole number within `range`.
    static func int(_ key: String, _ path: WritableKeyPath<RelayConfiguration, Int>, _ range: ClosedRange<Int>,
                    _ doc: String) -> ConfigSetting {
        ConfigSetting(key: key, values: "integer \(range.lowerBound) to \(range.upperBound)", doc: doc, shipped: true,
                      defaultJSON: { String($0[keyPath: path]) }) { name, reader, config throws(ConfigError) in
            if let value = try reader.int(name, range: range) { config[keyPath: path] = value }
        }
    }

    /// A number of seconds within `range`.
    static func seconds(_ key: String, _ path: WritableKeyPath<RelayConfiguration, Double>, _ range: ClosedRange<Double>,
                        _ doc: String) -> ConfigSetting {
        ConfigSetting(key: key, values: "seconds, \(jsonNumber(range.lowerBound)) to \(jsonNumber(range.upperBound))", doc: doc,
                      shipped: true, defaultJSON: { jsonNumber($0[keyPath: path]) }) { name, reader, config throws(ConfigError) in
            if let value = try reader.seconds(name, range: range) { config[keyPath: path] = value }
        }
    }

    /// A number within `range` (not a duration: a ratio, say).
    static func number(_ key: String, _ path: WritableKeyPath<RelayConfiguration, Double>, _ range: ClosedRange<Double>,
                       _ doc: String) -> ConfigSetting {
        ConfigSetting(key: key, values: "number, \(jsonNumber(range.lowerBound)) to \(jsonNumber(range.upperBound))", doc: doc,
                      shipped: true, defaultJSON: { jsonNumber($0[keyPath: path]) }) { name, reader, config throws(ConfigError) in
            if let value = try reader.number(name, range: range) { config[keyPath: path] = value }
        }
    }

    /// `true` or `false`.
    static func bool(_ key: String, _ path: WritableKeyPath<RelayConfiguration, Bool>, _ doc: String) -> ConfigSetting {
        ConfigSetting(key: key, values: "`true` or `false`", doc: doc, shipped: true,
                      defaultJSON: { $0[keyPath: path] ? "true" : "false" }) { name, reader, config throws(ConfigError) in
            if let value = try reader.bool(name) { config[keyPath: path] = value }
        }
    }

    /// A string; `check` refuses a bad one with the message it returns.
    static func string(_ key: String, _ path: WritableKeyPath<RelayConfiguration, String>, _ doc: String,
                       values: String = "string", check: @escaping (String) -> String? = { _ in nil }) -> ConfigSetting {
        ConfigSetting(key: key, values: values, doc: doc, shipped: true,
                      defaultJSON: { jsonString($0[keyPath: path]) }) { name, reader, config throws(ConfigError) in
            guard let value = try reader.string(name) else { return }
            if let problem = check(value) { throw ConfigError(key: key, message: problem) }
            config[keyPath: path] = value
        }
    }

    /// A string or `null` (unset); `check` refuses a bad one with the message it returns.
    static func optionalString(_ key: String, _ path: WritableKeyPath<RelayConfiguration, String?>, _ doc: String,
                               values: String = "string or `null`", shipped: Bool = true,
                               check: @escaping (String) -> String? = { _ in nil }) -> ConfigSetting {
        ConfigSetting(key: key, values: values, doc: doc, shipped: shipped,
                      defaultJSON: { $0[keyPath: path].map(jsonString) ?? "null" }) { name, reader, config throws(ConfigError) in
            guard let value = try reader.string(name) else { return }
            if let problem = check(value) { throw ConfigError(key: key, message: problem) }
            config[keyPath: path] = value
        }
    }

    /// One of an enumeration's raw values.
    static func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, _ path: WritableKeyPath<RelayConfiguration, Choice>,
                                                                _ doc: String) -> ConfigSetting where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        let spoken = names.dropLast().joined(separator: ", ") + (names.count > 1 ? " or " : "") + (names.last ?? "")
        return ConfigSetting(key: key, values: names.map { "`\($0)`" }.joined(separator: ", "), doc: doc, shipped: true,
                             defaultJSON: { jsonString($0[keyPath: path].rawValue) }) { name, reader, config throws(ConfigError) in
            guard let text = try reader.string(name) else { return }
            guard let value = Choice(rawValue: text) else { throw ConfigError(key: key, message: "must be \(spoken), got '\(text)'") }
            config[keyPath: path] = value
        }
    }

    /// An array of strings; `check` refuses a bad element (by index) with the message it returns.
    static func strings(_ key: String, _ path: WritableKeyPath<RelayConfiguration, [String]>, _ doc: String,
                        check: @escaping (String) -> String? = { _ in nil }) -> ConfigSetting {
        ConfigSetting(key: key, values: "array of strings", doc: doc, shipped: true,
                      defaultJSON: { "[" + $0[keyPath: path].map(jsonString).joined(separator: ",") + "]" }) { name, reader, config throws(ConfigError) in
            guard let values = try reader.stringArray(name) else { return }
            for (index, value) in values.enumerated() {
                if let problem = check(value) { throw ConfigError(key: "\(key)[\(index)]", message: problem) }
            }
            config[keyPath: path] = values
        }
    }

    /// An array of objects, each read by `entry` (which names its fields in its errors); shipped as `[]`.
    static func objects<Entry>(_ key: String, _ path: WritableKeyPath<RelayConfiguration, [Entry]>, fields: String, _ doc: String,
                               entry: @escaping (inout ConfigReader, String) throws(ConfigError) -> Entry) -> ConfigSetting {
        ConfigSetting(key: key, values: "array of `\(fields)`", doc: doc, shipped: true,
                      defaultJSON: { $0[keyPath: path].isEmpty ? "[]" : "…" }) { name, reader, config throws(ConfigError) in
            guard let list = try reader.objectArray(name) else { return }
            var entries: [Entry] = []
            for (index, object) in list.enumerated() {
                var fields = object
                entries.append(try entry(&fields, "\(key)[\(index)]"))
                try fields.rejectUnknownKeys()
            }
            config[keyPath: path] = entries
        }
    }

    /// `value` as the relay writes JSON numbers: whole numbers without a fraction.
    static func jsonNumber(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    /// `value` as a JSON string.
    static func jsonString(_ value: String) -> String {
        var writer = JSONWriter()
        writer.string(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
