import SparkCodec
import Testing
@testable import Relay

/// `upstream.models`: an entry with a built-in model's name overrides that model; a new name adds one.
@Suite struct ModelTableOverrideTests {
    private func table(_ entries: [RelayConfiguration.ModelEntry]) throws -> SparkModelTable {
        var upstream = RelayConfiguration().upstream
        upstream.models = entries
        return try UpstreamSettings.modelTable(from: upstream)
    }

    @Test func anEntryWithABuiltInNameOverridesIt() throws {
        let models = try table([.init(name: "generalv3.5", domain: "generalv3.5", path: "/v3.5/chat-new", maxTokens: 2048)])
        let model = try #require(models.model(named: "generalv3.5"))
        #expect(model.path == "/v3.5/chat-new")
        #expect(model.maxTokensLimit == 2048)
        #expect(models.models.filter { $0.name == "generalv3.5" }.count == 1)
        // The built-in's aliases still reach it when the entry names none.
        #expect(models.model(named: "Spark-Max")?.path == "/v3.5/chat-new")
    }

    @Test func overridingTheDomainOfABuiltInByName() throws {
        let models = try table([.init(name: "x1", domain: "spark-x", path: "/v1/x1")])
        #expect(models.model(named: "x1")?.domain == "spark-x")
        #expect(models.model(named: "Spark-X1")?.name == "x1")
    }

    @Test func aNewNameAddsAModel() throws {
        let models = try table([.init(name: "my-max", domain: "generalv3.5", path: "/v3.5/chat", aliases: ["mine"])])
        #expect(models.model(named: "my-max")?.domain == "generalv3.5")
        #expect(models.model(named: "mine")?.name == "my-max")
        #expect(models.model(named: "generalv3.5")?.name == "generalv3.5")
    }
}
