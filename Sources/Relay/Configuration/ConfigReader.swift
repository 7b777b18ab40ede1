import Foundation

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
/// (usually typos) are reported instead of silently ignored.
struct ConfigReader {
    private let object: [String: Any]
    private let prefix: String
    private var used: Set<String> = []

    init(object: [String: Any], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    private func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    mutating func section(_ key: String) throws(ConfigError) -> ConfigReader? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let dictionary = value as? [String: Any] else {
            throw ConfigError(key: path(key), message: "must be an object")
        }
        return ConfigReader(object: dictionary, prefix: path(key))
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw ConfigError(key: path(key), message: "must be a string") }
        return string
    }

    mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, Self.isBoolean(number) else {
            throw ConfigError(key: path(key), message: "must be true or false")
        }
        return number.boolValue
    }

    mutating func int(_ key: String, range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !Self.isBoolean(number),
              let int = Int(exactly: number.doubleValue) else {
            throw ConfigError(key: path(key), message: "must be a whole number")
        }
        guard range.contains(int) else {
            throw ConfigError(key: path(key), message: "must be between \(range.lowerBound) and \(range.upperBound), got \(int)")
        }
        return int
    }

    mutating func seconds(_ key: String, range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !Self.isBoolean(number) else {
            throw ConfigError(key: path(key), message: "must be a number of seconds")
        }
        let seconds = number.doubleValue
        guard seconds.isFinite, range.contains(seconds) else {
            throw ConfigError(key: path(key), message: "must be between \(range.lowerBound) and \(range.upperBound) seconds, got \(seconds)")
        }
        return seconds
    }

    mutating func stringArray(_ key: String) throws(ConfigError) -> [String]? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let array = value as? [Any], let strings = array as? [String] else {
            throw ConfigError(key: path(key), message: "must be an array of strings")
        }
        return strings
    }

    mutating func objectArray(_ key: String) throws(ConfigError) -> [[String: Any]]? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let array = value as? [Any], let objects = array as? [[String: Any]] else {
            throw ConfigError(key: path(key), message: "must be an array of objects")
        }
        return objects
    }

    /// JSON `true`/`false` arrive as NSNumbers whose type encoding is `c` (char), numbers never do.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// Throws for the first key (in sorted order) that no accessor asked for.
    func rejectUnknownKeys() throws(ConfigError) {
        for key in object.keys.sorted() where !used.contains(key) {
            throw ConfigError(key: path(key), message: "unknown key")
        }
    }
}
