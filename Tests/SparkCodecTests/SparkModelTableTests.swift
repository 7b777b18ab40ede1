import Foundation
import Testing
@testable import SparkCodec

@Suite struct SparkModelTableTests {
    let table = SparkModelTable.default

    @Test(arguments: [
        ("lite", "/v1.1/chat"), ("generalv3", "/v3.1/chat"), ("pro-128k", "/chat/pro-128k"), ("generalv3.5", "/v3.5/chat"),
        ("max-32k", "/chat/max-32k"), ("4.0Ultra", "/v4.0/chat"), ("x1", "/v1/x1"),
    ])
    func domainsMapToPaths(domain: String, path: String) throws {
        let model = try #require(table.model(named: domain))
        #expect(model.domain == domain)
        #expect(model.name == domain)
        #expect(model.path == path)
        #expect(table.model(forPath: path) == model)
    }

    @Test(arguments: [
        ("spark-lite", "lite"), ("Spark-Lite", "lite"), ("SPARK-LITE", "lite"), ("spark-pro", "generalv3"), ("Spark-Pro", "generalv3"),
        ("Spark-Pro-128K", "pro-128k"), ("spark-pro-128k", "pro-128k"), ("spark-max", "generalv3.5"), ("Spark-Max", "generalv3.5"),
        ("Spark-Max-32K", "max-32k"), ("spark-4.0-ultra", "4.0Ultra"), ("Spark-4.0-Ultra", "4.0Ultra"), ("spark-x1", "x1"),
    ])
    func aliasesMatchIgnoringCase(alias: String, name: String) {
        #expect(table.model(named: alias)?.name == name)
    }

    @Test func domainsAreCaseSensitive() {
        #expect(table.model(named: "LITE") == nil)
        #expect(table.model(named: "4.0ultra") == nil)
        #expect(table.model(named: "Generalv3.5") == nil)
        #expect(table.model(named: "gpt-4") == nil)
        #expect(table.model(named: "") == nil)
    }

    @Test func x1DomainIsConfigurable() throws {
        let sparkX = SparkModelTable.standard(x1Domain: "spark-x")
        let model = try #require(sparkX.model(named: "x1"))
        #expect(model.domain == "spark-x")
        #expect(model.path == "/v1/x1")
        #expect(sparkX.model(named: "spark-x") == model)
        #expect(model.isReasoning)
        #expect(model.acceptsTemperature(2.0) && !model.acceptsTemperature(0))
        #expect(table.model(named: "x1")?.domain == "x1")
    }

    @Test func limitsFollowTheProtocolDoc() throws {
        let lite = try #require(table.model(named: "lite"))
        #expect(lite.maxTokensLimit == 4096 && !lite.supportsSystem)
        let max = try #require(table.model(named: "generalv3.5"))
        #expect(max.maxTokensLimit == 8192 && max.defaultMaxTokens == 4096 && max.supportsFunctions && max.supportsWebSearch)
        #expect(try #require(table.model(named: "x1")).maxTokensLimit == 32768)
        #expect(try #require(table.model(named: "pro-128k")).contextTokenLimit == 131072)
        #expect(max.acceptsTemperature(1) && !max.acceptsTemperature(0) && !max.acceptsTemperature(1.01))
        #expect(max.acceptsMaxTokens(1) && max.acceptsMaxTokens(8192) && !max.acceptsMaxTokens(0) && !max.acceptsMaxTokens(8193))
        #expect(table.models.count == 7)
    }

    @Test func duplicatesAreRejectedByName() {
        let a = SparkModel(name: "a", domain: "a", path: "/a", aliases: ["first"], maxTokensLimit: 10, defaultMaxTokens: 10)
        let b = SparkModel(name: "b", domain: "b", path: "/b", aliases: ["second"], maxTokensLimit: 10, defaultMaxTokens: 10)
        #expect(throws: SparkModelTableError.duplicateName("a")) { try SparkModelTable(models: [a, a]) }
        // A model on another's domain is allowed (a configured model on a built-in's domain); the
        // name keeps its model.
        var sameDomain = b
        sameDomain.domain = "a"
        let shared = try? SparkModelTable(models: [a, sameDomain])
        #expect(shared?.model(named: "a")?.name == "a" && shared?.model(named: "b")?.domain == "a")
        var aliasClash = b
        aliasClash.aliases = ["FIRST"]
        #expect(throws: SparkModelTableError.duplicateAlias("FIRST")) { try SparkModelTable(models: [a, aliasClash]) }
        var aliasIsOtherName = b
        aliasIsOtherName.aliases = ["A"]
        #expect(throws: SparkModelTableError.duplicateAlias("A")) { try SparkModelTable(models: [a, aliasIsOtherName]) }
        #expect(SparkModelTableError.duplicateAlias("A").description.contains("\"A\""))
        #expect(throws: Never.self) { try SparkModelTable(models: [a, b]) }
        var selfAlias = a
        selfAlias.aliases = ["A", "a"]
        #expect(throws: Never.self) { try SparkModelTable(models: [selfAlias, b]) }
    }

    @Test func modelsRoundTripThroughCodable() throws {
        let data = try JSONEncoder().encode(table.models)
        #expect(try JSONDecoder().decode([SparkModel].self, from: data) == table.models)
    }
}
