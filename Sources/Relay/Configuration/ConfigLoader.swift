import Glibc
import JSON
import RelayIO
import SparkCodec

/// Loads `RelayConfiguration` from a JSON file and the environment. Unknown keys and bad values
/// are start-up errors that name the key.
public enum ConfigLoader {
    /// The file loaded when `--config` is not given, if it exists.
    public static let defaultPath = "Config/relay.json"
    /// The largest configuration file read (a real one is a few KiB).
    public static let maxFileBytes = 4 * 1024 * 1024

    /// Parses a configuration file's bytes on top of the defaults, key by key as `ConfigSetting.all`
    /// declares them.
    public static func load(json data: [UInt8]) throws(ConfigError) -> RelayConfiguration {
        let object: JSONValue
        do {
            object = try JSONScanner.parse(data)
        } catch {
            let (line, column) = position(of: error.offset, in: data)
            throw ConfigError(key: "", message: "not valid JSON at line \(line), column \(column): \(error.kind.summary)")
        }
        guard var root = ConfigReader(object) else {
            throw ConfigError(key: "", message: "the top level must be a JSON object")
        }
        var config = RelayConfiguration()
        let settings = ConfigSetting.all
        for section in ConfigSetting.sections {
            guard var reader = try root.section(section) else { continue }
            for setting in settings where setting.section == section {
                try setting.load(&reader, &config)
            }
            try reader.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()
        try checkAcrossKeys(config)
        return config
    }

    /// Rules that tie keys together.
    private static func checkAcrossKeys(_ config: RelayConfiguration) throws(ConfigError) {
        try checkUnique(config.auth)
        if config.auth.enabled && config.auth.apiKeyHashes.isEmpty && config.auth.keys.isEmpty {
            throw ConfigError(key: "auth.api_key_hashes", message: "auth is enabled but no key is configured (auth.api_key_hashes or auth.keys)")
        }
        if config.cors.allowCredentials && config.cors.allowedOrigins.contains("*") {
            throw ConfigError(key: "cors.allow_credentials", message: "credentials cannot be allowed for the wildcard origin '*'")
        }
    }

    /// 1-based line and column (in bytes) of `offset` in `data`, for people fixing a file by hand.
    static func position(of offset: Int, in data: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, data.count) where data[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }

    /// Names and hashes must be unique: a shared hash would make the key's name ambiguous.
    private static func checkUnique(_ auth: RelayConfiguration.Auth) throws(ConfigError) {
        var names: [String: Int] = [:]
        var hashes: [String: String] = [:]
        for (index, hash) in auth.apiKeyHashes.enumerated() { hashes[hash] = "auth.api_key_hashes[\(index)]" }
        for (index, key) in auth.keys.enumerated() {
            if let first = names[key.name] {
                throw ConfigError(key: "auth.keys[\(index)].name", message: "'\(key.name)' is already the name of auth.keys[\(first)]")
            }
            names[key.name] = index
            if let first = hashes[key.sha256] {
                throw ConfigError(key: "auth.keys[\(index)].sha256", message: "the same key is already configured as \(first)")
            }
            hashes[key.sha256] = "auth.keys[\(index)]"
        }
        // An admin key that is also a client key would let every holder of it read all keys' use.
        for (index, hash) in auth.adminKeyHashes.enumerated() {
            if let first = hashes[hash] {
                throw ConfigError(key: "auth.admin_keys[\(index)]", message: "is also a client key (\(first)): admin keys must be their own")
            }
        }
    }

    /// Loads the file at `path`.
    public static func load(path: String) throws(ConfigError) -> RelayConfiguration {
        let data: [UInt8]
        do {
            data = try FileSystem.read(path: path, limit: maxFileBytes)
        } catch {
            throw ConfigError(key: "", message: "cannot read config file '\(path)': \(error.reason)")
        }
        do {
            return try load(json: data)
        } catch {
            throw ConfigError(key: error.key, message: error.message + " (in \(path))")
        }
    }

    /// Takes the secrets `EnvironmentSetting.all` declares from the environment when set (non-empty):
    /// the environment wins over the file for these only.
    public static func applyEnvironment(_ environment: [String: String], to config: inout RelayConfiguration) {
        for variable in EnvironmentSetting.all {
            guard let apply = variable.apply, let value = environment[variable.name], !value.isEmpty else { continue }
            apply(value, &config)
        }
    }
}

private extension FileSystem.ReadError {
    /// Why the file could not be read, in the system's words where it has them.
    var reason: String {
        switch self {
        case .cannotOpen(let code), .readFailed(let code): String(cString: strerror(code))
        case .notRegularFile: "not a regular file"
        case .tooLarge(let limit): "larger than \(limit) bytes"
        }
    }
}

private extension JSONScanError.Kind {
    /// What is wrong, without the byte offset (the caller gives line and column).
    var summary: String {
        switch self {
        case .unexpectedEnd: "the file ends inside a value"
        case .unexpectedByte(let byte) where (0x21...0x7E).contains(byte): "unexpected '\(Character(Unicode.Scalar(byte)))'"
        case .unexpectedByte(let byte): "unexpected byte 0x\(String(byte, radix: 16))"
        case .trailingData: "more after the top-level object"
        case .invalidNumber: "invalid number"
        case .invalidString: "invalid string (a bad escape, a control character or invalid UTF-8)"
        case .tooDeep: "nested too deeply"
        case .notAnObject: "not an object"
        }
    }
}
