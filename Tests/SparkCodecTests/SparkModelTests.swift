import Testing
@testable import SparkCodec

@Suite struct SparkModelTests {
    @Test func temperatureLowerBoundIsOpen() {
        let model = SparkModel(name: "m", domain: "m", path: "/m", maxTokensLimit: 100, defaultMaxTokens: 50)
        #expect(!model.acceptsTemperature(0))
        #expect(!model.acceptsTemperature(-0.1))
        #expect(model.acceptsTemperature(0.000_001))
        #expect(model.acceptsTemperature(1))
        #expect(!model.acceptsTemperature(1.000_001))
        #expect(!model.acceptsTemperature(.nan))
    }

    @Test func endpointOnBaseUsesModelPath() throws {
        let model = SparkModel(name: "m", domain: "m", path: "/chat/m", maxTokensLimit: 100, defaultMaxTokens: 50)
        let base = try #require(SparkEndpoint(url: "ws://[::1]:8081"))
        #expect(model.endpoint(on: base).url == "ws://[::1]:8081/chat/m")
        #expect(model.endpoint(on: SparkModelTable.defaultBase).url == "wss://spark-api.xf-yun.com/chat/m")
    }
}
