import Foundation
import Testing
@testable import Relay

@Suite struct ConfigLoaderTests {
    private func load(_ json: String) throws(ConfigError) -> RelayConfiguration {
        try ConfigLoader.load(json: Array(json.utf8))
    }

    @Test func emptyObjectGivesDefaults() throws {
        #expect(try load("{}") == RelayConfiguration())
    }

    @Test func shippedConfigFileEqualsTheBuiltInDefaults() throws {
        let configuration = try ConfigLoader.load(path: TestPaths.repositoryRoot + "/Config/relay.json")
        #expect(configuration == RelayConfiguration())
    }

    @Test func valuesAreApplied() throws {
        let configuration = try load(#"{"server":{"port":9000,"host":"::1"},"http":{"max_body_bytes":2048,"header_read_timeout":0.5},"log":{"level":"debug","access_log":false},"upstream":{"mode":"simulator"}}"#)
        #expect(configuration.server.port == 9000)
        #expect(configuration.server.host == "::1")
        #expect(configuration.http.maxBodyBytes == 2048)
        #expect(configuration.http.headerReadTimeout == 0.5)
        #expect(configuration.log.level == "debug")
        #expect(configuration.log.accessLog == false)
        #expect(configuration.upstream.mode == .simulator)
    }

    @Test func logFormatDefaultsToText() throws {
        #expect(try load("{}").log.format == .text)
        #expect(try load(#"{"log":{"format":"json"}}"#).log.format == .json)
    }

    @Test(arguments: [
        (#"{"server":{"prot":1}}"#, "server.prot", "unknown key"),
        (#"{"srever":{}}"#, "srever", "unknown key"),
        (#"{"server":{"port":70000}}"#, "server.port", "between"),
        (#"{"server":{"port":"80"}}"#, "server.port", "whole number"),
        (#"{"server":{"port":1.5}}"#, "server.port", "whole number"),
        (#"{"http":{"idle_timeout":-1}}"#, "http.idle_timeout", "seconds"),
        (#"{"log":{"level":"loud"}}"#, "log.level", "must be one of"),
        (#"{"log":{"access_log":1}}"#, "log.access_log", "true or false"),
        (#"{"log":{"format":"xml"}}"#, "log.format", "text or json"),
        (#"{"upstream":{"mode":"openai"}}"#, "upstream.mode", "auto, spark or simulator"),
        (#"{"http":[]}"#, "http", "must be an object"),
        (#"{"auth":{"enabled":true}}"#, "auth.api_key_hashes", "no key"),
        (#"{"auth":{"api_key_hashes":["abc"]}}"#, "auth.api_key_hashes[0]", "SHA-256"),
        (#"{"cors":{"allowed_origins":["*"],"allow_credentials":true}}"#, "cors.allow_credentials", "wildcard"),
        (#"{"upstream":{"credentials":[{"app_id":"a","api_key":"b"}]}}"#, "upstream.credentials[0].api_secret", "required"),
        (#"{"limits":{"burst":0}}"#, "limits.burst", "between"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(ConfigLoaderTests.hashA)"},{"name":"b","sha256":"\#(ConfigLoaderTests.hashB)"},{"name":"c","sha256":"ABC"}]}}"#, "auth.keys[2].sha256", "SHA-256"),
        (#"{"auth":{"keys":[{"sha256":"\#(ConfigLoaderTests.hashA)"}]}}"#, "auth.keys[0].name", "required"),
        (#"{"auth":{"keys":[{"name":"a"}]}}"#, "auth.keys[0].sha256", "required"),
        (#"{"auth":{"keys":[{"name":"team a","sha256":"\#(ConfigLoaderTests.hashA)"}]}}"#, "auth.keys[0].name", "letters, digits"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(ConfigLoaderTests.hashA)"},{"name":"a","sha256":"\#(ConfigLoaderTests.hashB)"}]}}"#, "auth.keys[1].name", "already the name of auth.keys[0]"),
        (#"{"auth":{"api_key_hashes":["\#(ConfigLoaderTests.hashA)"],"keys":[{"name":"a","sha256":"\#(ConfigLoaderTests.hashA)"}]}}"#, "auth.keys[0].sha256", "auth.api_key_hashes[0]"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(ConfigLoaderTests.hashA)","requests_per_minute":-1}]}}"#, "auth.keys[0].requests_per_minute", "between"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(ConfigLoaderTests.hashA)","max_streams":"2"}]}}"#, "auth.keys[0].max_streams", "whole number"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(ConfigLoaderTests.hashA)","models":[]}]}}"#, "auth.keys[0].models", "at least one"),
        (#"{"auth":{"keys":[{"name":"a","sha256":"\#(ConfigLoaderTests.hashA)","model":["lite"]}]}}"#, "auth.keys[0].model", "unknown key"),
        (#"{"auth":{"keys":{"name":"a"}}}"#, "auth.keys", "array of objects"),
        (#"{"server":{"trusted_proxies":["127.0.0.1","10.0.0.0/33"]}}"#, "server.trusted_proxies[1]", "CIDR"),
        (#"{"server":{"trusted_proxies":["localhost"]}}"#, "server.trusted_proxies[0]", "not an IP address"),
        (#"{"server":{"trusted_proxies":"127.0.0.1"}}"#, "server.trusted_proxies", "array of strings"),
    ])
    func badValuesNameTheKey(json: String, key: String, fragment: String) {
        do {
            _ = try load(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.key == key)
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "b", count: 64)

    @Test func namedKeysAreReadWithTheirLimitsAndModels() throws {
        let configuration = try load(#"{"auth":{"enabled":true,"keys":[{"name":"team-a","sha256":"\#(Self.hashA)","requests_per_minute":30,"max_streams":2,"models":["lite"]},{"name":"b.2","sha256":"\#(Self.hashB)"}]}}"#)
        #expect(configuration.auth.enabled)
        #expect(configuration.auth.apiKeyHashes.isEmpty)
        #expect(configuration.auth.keys == [
            .init(name: "team-a", sha256: Self.hashA, requestsPerMinute: 30, maxStreams: 2, models: ["lite"]),
            .init(name: "b.2", sha256: Self.hashB),
        ])
    }

    @Test func trustedProxiesAcceptAddressesAndRangesOfBothFamilies() throws {
        let configuration = try load(#"{"server":{"trusted_proxies":["127.0.0.1","::1","10.0.0.0/8","fd00::/8"]}}"#)
        #expect(configuration.server.trustedProxies == ["127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"])
        #expect(RelayConfiguration().server.trustedProxies.isEmpty)
    }

    @Test func invalidJSONIsAFileLevelError() {
        #expect(throws: ConfigError.self) { try load("{") }
        #expect(throws: ConfigError.self) { try load("[]") }
    }

    /// A person fixing the file by hand needs a line and a column, not a byte offset.
    @Test func invalidJSONNamesLineAndColumn() {
        #expect(throws: ConfigError(key: "", message: "not valid JSON at line 3, column 13: unexpected '}'")) {
            try load("{\n  \"server\": {\n    \"port\": }\n}")
        }
        #expect(throws: ConfigError(key: "", message: "not valid JSON at line 1, column 2: the file ends inside a value")) {
            try load("{")
        }
    }

    /// A file that cannot be read says why, in the system's words.
    @Test func unreadableFileSaysWhy() {
        let missing = "/nonexistent-spark-relay/relay.json"
        #expect(throws: ConfigError(key: "", message: "cannot read config file '\(missing)': No such file or directory")) {
            try ConfigLoader.load(path: missing)
        }
        #expect(throws: ConfigError(key: "", message: "cannot read config file '/': not a regular file")) {
            try ConfigLoader.load(path: "/")
        }
    }

    @Test func environmentSuppliesCredentials() {
        var configuration = RelayConfiguration()
        ConfigLoader.applyEnvironment(["SPARK_APP_ID": "app", "SPARK_API_KEY": "key", "SPARK_API_SECRET": "secret", "OTHER": "x"], to: &configuration)
        #expect(configuration.upstream.appID == "app")
        #expect(configuration.upstream.apiKey == "key")
        #expect(configuration.upstream.apiSecret == "secret")
        #expect(RelayApplication.resolveUpstreamMode(configuration.upstream) == .spark)
        #expect(RelayApplication.resolveUpstreamMode(RelayConfiguration().upstream) == .simulator)
        ConfigLoader.applyEnvironment(["SPARK_RELAY_REDIS_PASSWORD": "pw", "SPARK_API_KEY": ""], to: &configuration)
        #expect(configuration.cluster.redisPassword == "pw")
        #expect(configuration.upstream.apiKey == "key")
    }
}
