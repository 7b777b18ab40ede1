import JSON
import SparkCodec

/// A failure to load the configuration: names the key (dotted path) and what is wrong with it.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted key path, such as `http.max_body_bytes`; empty for file-level errors.
    public var key: String
    /// What is wrong.
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "config: \(message)" : "config key '\(key)': \(message)"
    }
}

/// Reads one JSON object of the configuration, tracking which keys were used so that unknown keys
/// (usually typos) are reported instead of silently ignored. With a key given twice, the last wins.
struct ConfigReader {
    private let object: [String: JSONValue]
    private let prefix: String
    private var used: Set<String> = []

    /// `nil` when `value` is not an object.
    init?(_ value: JSONValue, prefix: String = "") {
        guard let members = value.objectMembers else { return nil }
        var object: [String: JSONValue] = [:]
        for member in members { object[member.key] = member.value }
        self.object = object
        self.prefix = prefix
    }

    private func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    /// The value under `key`, marking it used; `nil` when absent or JSON `null`.
    private mutating func value(_ key: String) -> JSONValue? {
        used.insert(key)
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    mutating func section(_ key: String) throws(ConfigError) -> ConfigReader? {
        guard let value = value(key) else { return nil }
        guard let reader = ConfigReader(value, prefix: path(key)) else {
            throw ConfigError(key: path(key), message: "must be an object")
        }
        return reader
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.stringValue else { throw ConfigError(key: path(key), message: "must be a string") }
        return string
    }

    mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.boolValue else {
            throw ConfigError(key: path(key), message: "must be true or false")
        }
        return bool
    }

    mutating func int(_ key: String, range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let double = value.doubleValue, let int = Int(exactly: double) else {
            throw ConfigError(key: path(key), message: "must be a whole number")
        }
        guard range.contains(int) else {
            throw ConfigError(key: path(key), message: "must be between \(range.lowerBound) and \(range.upperBound), got \(int)")
        }
        return int
    }

    mutating func number(_ key: String, range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            throw ConfigError(key: path(key), message: "must be a number")
        }
        guard range.contains(number) else {
            throw ConfigError(key: path(key), message: "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    mutating func seconds(_ key: String, range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let seconds = value.doubleValue else {
            throw ConfigError(key: path(key), message: "must be a number of seconds")
        }
        guard seconds.isFinite, range.contains(seconds) else {
            throw ConfigError(key: path(key), message: "must be between \(range.lowerBound) and \(range.upperBound) seconds, got \(seconds)")
        }
        return seconds
    }

    mutating func stringArray(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let array = value.arrayValue else {
            throw ConfigError(key: path(key), message: "must be an array of strings")
        }
        var strings: [String] = []
        for element in array {
            guard let string = element.stringValue else { throw ConfigError(key: path(key), message: "must be an array of strings") }
            strings.append(string)
        }
        return strings
    }

    /// The array of objects under `key`, each as a reader prefixed `key[index]`.
    mutating func objectArray(_ key: String) throws(ConfigError) -> [ConfigReader]? {
        guard let value = value(key) else { return nil }
        guard let array = value.arrayValue else {
            throw ConfigError(key: path(key), message: "must be an array of objects")
        }
        var readers: [ConfigReader] = []
        for (index, element) in array.enumerated() {
            guard let reader = ConfigReader(element, prefix: "\(path(key))[\(index)]") else {
                throw ConfigError(key: path(key), message: "must be an array of objects")
            }
            readers.append(reader)
        }
        return readers
    }

    /// Throws for the first key (in sorted order) that no accessor asked for.
    func rejectUnknownKeys() throws(ConfigError) {
        for key in object.keys.sorted() where !used.contains(key) {
            throw ConfigError(key: path(key), message: "unknown key")
        }
    }
}
