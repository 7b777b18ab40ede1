import SparkCodec
import SparkUpstream
import Testing
import WebSocketCodec

/// One signature per credential, endpoint and second: the same URL within a second, a new
/// signature in the next one or for another credential or path, each what the signer makes.
@Suite struct SignedURLCacheTests {
    static let endpoint = SparkEndpoint(scheme: "wss", host: "spark-api.xf-yun.com", port: nil, path: "/v3.5/chat")
    static let credentials = SparkCredentials(appID: "app1", apiKey: "key1", apiSecret: "secret1")

    static func signed(_ credentials: SparkCredentials, _ endpoint: SparkEndpoint, _ seconds: Double) -> WebSocketURL? {
        WebSocketURL(SparkURLSigner.sign(credentials: credentials, url: endpoint, date: UnixTime(secondsSince1970: seconds)).url)
    }

    @Test func aSecondSharesOneSignatureAndTheNextSignsAgain() throws {
        let cache = SignedURLCache()
        let first = try #require(cache.url(credentials: Self.credentials, endpoint: Self.endpoint, date: UnixTime(secondsSince1970: 1_765_000_000.1)))
        let same = cache.url(credentials: Self.credentials, endpoint: Self.endpoint, date: UnixTime(secondsSince1970: 1_765_000_000.9))
        #expect(same == first)
        #expect(first == Self.signed(Self.credentials, Self.endpoint, 1_765_000_000))
        let next = cache.url(credentials: Self.credentials, endpoint: Self.endpoint, date: UnixTime(secondsSince1970: 1_765_000_001.0))
        #expect(next != first)
        #expect(next == Self.signed(Self.credentials, Self.endpoint, 1_765_000_001))
    }

    @Test func anotherCredentialSecretOrPathIsSignedForItself() {
        let cache = SignedURLCache()
        let date = UnixTime(secondsSince1970: 1_765_000_000)
        let other = SparkCredentials(appID: "app2", apiKey: "key2", apiSecret: "secret2")
        let otherSecret = SparkCredentials(appID: "app1", apiKey: "key1", apiSecret: "another secret")
        var path = Self.endpoint
        path.path = "/v4.0/chat"
        _ = cache.url(credentials: Self.credentials, endpoint: Self.endpoint, date: date)
        #expect(cache.url(credentials: other, endpoint: Self.endpoint, date: date) == Self.signed(other, Self.endpoint, 1_765_000_000))
        #expect(cache.url(credentials: otherSecret, endpoint: Self.endpoint, date: date) == Self.signed(otherSecret, Self.endpoint, 1_765_000_000))
        #expect(cache.url(credentials: Self.credentials, endpoint: path, date: date) == Self.signed(Self.credentials, path, 1_765_000_000))
        #expect(cache.url(credentials: Self.credentials, endpoint: Self.endpoint, date: date) == Self.signed(Self.credentials, Self.endpoint, 1_765_000_000))
    }

    @Test func theTableStaysBounded() {
        let cache = SignedURLCache()
        let date = UnixTime(secondsSince1970: 1_765_000_000)
        for index in 0..<(SignedURLCache.maxEntries * 3) {
            var endpoint = Self.endpoint
            endpoint.path = "/v\(index)/chat"
            #expect(cache.url(credentials: Self.credentials, endpoint: endpoint, date: date) == Self.signed(Self.credentials, endpoint, 1_765_000_000))
        }
        #expect(cache.count <= SignedURLCache.maxEntries)
    }
}
