import Testing
@testable import SparkCodec

@Suite struct SparkEndpointTests {
    @Test func parsesSparkURLs() throws {
        let endpoint = try #require(SparkEndpoint(url: "wss://spark-api.xf-yun.com/v3.5/chat"))
        #expect(endpoint.scheme == "wss")
        #expect(endpoint.host == "spark-api.xf-yun.com")
        #expect(endpoint.port == nil)
        #expect(endpoint.path == "/v3.5/chat")
        #expect(endpoint.authority == "spark-api.xf-yun.com")
        #expect(endpoint.effectivePort == 443)
        #expect(endpoint.isSecure)
        #expect(endpoint.url == "wss://spark-api.xf-yun.com/v3.5/chat")
    }

    @Test func keepsNonDefaultPortsAndDropsDefaultOnes() throws {
        let loopback = try #require(SparkEndpoint(url: "ws://127.0.0.1:18080/v3.5/chat"))
        #expect(loopback.authority == "127.0.0.1:18080")
        #expect(loopback.effectivePort == 18080)
        #expect(SparkEndpoint(url: "wss://h:443/x")?.authority == "h")
        #expect(SparkEndpoint(url: "ws://h:80/x")?.authority == "h")
        #expect(SparkEndpoint(url: "ws://h:443/x")?.authority == "h:443")
        #expect(SparkEndpoint(url: "WSS://h/x") == SparkEndpoint(scheme: "wss", host: "h", path: "/x"))
    }

    @Test func ipv6LiteralsAreBracketed() throws {
        let endpoint = try #require(SparkEndpoint(url: "ws://[::1]:8081"))
        #expect(endpoint.host == "::1")
        #expect(endpoint.port == 8081)
        #expect(endpoint.path == "/")
        #expect(endpoint.authority == "[::1]:8081")
        #expect(SparkEndpoint(url: "wss://[2001:db8::1]/v1/x1")?.authority == "[2001:db8::1]")
    }

    @Test func baseReplacementKeepsTheModelPath() throws {
        let base = try #require(SparkEndpoint(url: "wss://127.0.0.1:9443"))
        let max = try #require(SparkModelTable.default.model(named: "generalv3.5"))
        #expect(max.endpoint(on: base).url == "wss://127.0.0.1:9443/v3.5/chat")
        let model = try #require(SparkEndpoint(url: "wss://spark-api.xf-yun.com/v3.5/chat"))
        #expect(model.replacingBase(with: base).url == "wss://127.0.0.1:9443/v3.5/chat")
        let v6 = try #require(SparkEndpoint(url: "ws://[::1]:8081"))
        #expect(model.replacingBase(with: v6).url == "ws://[::1]:8081/v3.5/chat")
        #expect(model.replacingBase(with: try #require(SparkEndpoint(url: "ws://sim/ignored/path"))).url == "ws://sim/v3.5/chat")
        let secureDefault = try #require(SparkEndpoint(url: "wss://example.com:8443"))
        let back = try #require(SparkEndpoint(url: "ws://example.com:8443/v1/x1")).replacingBase(with: secureDefault)
        #expect(back.url == "wss://example.com:8443/v1/x1")
    }

    @Test(arguments: [
        "", "http://h/x", "ws:/h/x", "ws//h/x", "ws://", "ws:///x", "ws://h:/x", "ws://h:0/x", "ws://h:65536/x",
        "ws://h:12a/x", "ws://h/x?a=b", "ws://h/x#f", "ws://u@h/x", "ws://h/a b", "ws://[::1/x", "ws://[::1]x/y",
        "ws://::1/x", "ws://[]/x", "ws://[zz::1]/x", "ws://h h/x", "ws://h:1:2/x",
    ])
    func rejectsInvalidURLs(url: String) {
        #expect(SparkEndpoint(url: url) == nil)
    }
}
