import Testing
import RedisClient

@Suite struct RedisURLTests {
    @Test func minimal() throws {
        let url = try RedisURL(parsing: "redis://localhost")
        #expect(url == RedisURL.make(host: "localhost"))
        #expect(url.description == "redis://localhost:6379/0")
    }

    @Test func everyPart() throws {
        let url = try RedisURL(parsing: "rediss://relay:s3cr%40t@redis.example:6380/2")
        #expect(url.isSecure)
        #expect(url.user == "relay")
        #expect(url.password == "s3cr@t")
        #expect(url.host == "redis.example")
        #expect(url.port == 6380)
        #expect(url.database == 2)
    }

    @Test func passwordOnlyAndUserOnly() throws {
        let passwordOnly = try RedisURL(parsing: "redis://:pw@127.0.0.1:7000/")
        #expect(passwordOnly.user == nil)
        #expect(passwordOnly.password == "pw")
        #expect(passwordOnly.database == 0)
        let userOnly = try RedisURL(parsing: "REDIS://alice@h")
        #expect(userOnly.user == "alice")
        #expect(userOnly.password == nil)
        #expect(!userOnly.isSecure)
        // The last '@' separates user info: a raw '@' in a password still parses.
        #expect(try RedisURL(parsing: "redis://u:a@b@h").password == "a@b")
    }

    @Test func ipv6() throws {
        let url = try RedisURL(parsing: "redis://[::1]:6390/1")
        #expect(url.host == "::1")
        #expect(url.port == 6390)
        #expect(url.description == "redis://[::1]:6390/1")
        #expect(try RedisURL(parsing: "redis://[::1]").port == 6379)
    }

    @Test func descriptionRedactsThePassword() throws {
        let url = try RedisURL(parsing: "redis://relay:hunter2@h:1/3")
        #expect(url.description == "redis://relay:<redacted>@h:1/3")
        #expect(!"\(url)".contains("hunter2"))
    }

    @Test func passwordOverrideHook() throws {
        let url = try RedisURL(parsing: "redis://:from-url@h")
        #expect(url.withPassword("from-env").password == "from-env")
        #expect(url.withPassword(nil).password == "from-url")
    }

    @Test(arguments: [
        "http://h", "redis:/h", "redis://", "redis://:pw@", "redis://h:0", "redis://h:65536", "redis://h:x",
        "redis://h/x", "redis://h/1/2", "redis://h/-1", "redis://h?db=1", "redis://h#f", "redis://[::1",
        "redis://[::1]x", "redis://u:%zz@h", "redis://u:%ff@h", "redis://h h", "redis://h:+1",
    ])
    func rejects(_ text: String) {
        #expect(throws: RedisURL.ParseError.self) { try RedisURL(parsing: text) }
    }

    @Test func parseErrorsNeverQuoteThePassword() {
        do {
            _ = try RedisURL(parsing: "redis://u:hunter2@h:99999")
            Issue.record("accepted a bad port")
        } catch {
            #expect(!error.message.contains("hunter2"))
        }
    }

    @Test func reconnectDelayDoublesUpToTheCap() {
        let configuration = RedisClientConfiguration(url: .make(host: "h"), reconnectInitialDelay: 0.1, reconnectMaxDelay: 1)
        #expect(configuration.reconnectDelay(attempt: 0, jitter: 1) == 0.1)
        #expect(configuration.reconnectDelay(attempt: 3, jitter: 1) == 0.8)
        #expect(configuration.reconnectDelay(attempt: 4, jitter: 1) == 1)
        #expect(configuration.reconnectDelay(attempt: 1000, jitter: 1) == 1)
        #expect(configuration.reconnectDelay(attempt: 4, jitter: 0.5) == 0.5)
        #expect(configuration.reconnectDelay(attempt: 4, jitter: 0) == 0.5)
        #expect(RedisClientConfiguration(url: .make(host: "h"), reconnectMaxDelay: 1e300).reconnectDelay(attempt: 1000, jitter: 1) == 86_400)
    }
}

extension RedisURL {
    /// A plain URL for `host` with defaults.
    static func make(host: String, port: Int = 6379) -> RedisURL {
        // Force-try is fine: the text is built from a test's own literal.
        try! RedisURL(parsing: "redis://\(host.contains(":") ? "[\(host)]" : host):\(port)")
    }
}
