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

@Suite struct SparkModelHTTPTests {
    @Test func builtInHTTPPaths() throws {
        let table = SparkModelTable.default
        for model in table.models {
            #expect(model.upstreamProtocol == .websocket)
            #expect(model.httpPath == (model.name == "x1" ? "/v2/chat/completions" : "/v1/chat/completions"), "\(model.name)")
        }
        #expect(table.models(forHTTPPath: "/v2/chat/completions").map(\.name) == ["x1"])
        #expect(table.models(forHTTPPath: "/v1/chat/completions").count == table.models.count - 1)
        let x1 = try #require(table.model(named: "x1"))
        #expect(x1.httpURL() == "https://spark-api-open.xf-yun.com/v2/chat/completions")
        #expect(x1.httpURL(on: SparkHTTPBase(scheme: "http", host: "127.0.0.1", port: 9443)) == "http://127.0.0.1:9443/v2/chat/completions")
    }

    @Test func decodesModelsWrittenBeforeTheHTTPMembers() throws {
        let json = #"{"name":"m","domain":"d","path":"/p","aliases":[],"maxTokensLimit":10,"defaultMaxTokens":5,"temperatureRange":[0,1],"supportsSystem":true,"supportsFunctions":false,"isReasoning":false,"supportsWebSearch":false,"contextTokenLimit":100}"#
        let model = try JSONDecoder().decode(SparkModel.self, from: Data(json.utf8))
        #expect(model.upstreamProtocol == .websocket && model.httpPath == "/v1/chat/completions")
        var http = model
        http.upstreamProtocol = .http
        http.httpPath = "/v2/chat/completions"
        #expect(try JSONDecoder().decode(SparkModel.self, from: JSONEncoder().encode(http)) == http)
    }

    @Test func httpBaseParsing() {
        #expect(SparkHTTPBase(url: "https://spark-api-open.xf-yun.com") == SparkHTTPBase(scheme: "https", host: "spark-api-open.xf-yun.com"))
        #expect(SparkHTTPBase(url: "http://127.0.0.1:9443/ignored") == SparkHTTPBase(scheme: "http", host: "127.0.0.1", port: 9443))
        #expect(SparkHTTPBase(url: "HTTPS://h:443")?.port == nil)
        #expect(SparkHTTPBase(url: "http://[::1]:8080")?.authority == "[::1]:8080")
        for bad in ["ws://h", "http://", "http://h:0", "http://h:+80", "http://h:99999", "http://u@h", "http://h?x", "h:80", "http://a:b:c"] {
            #expect(SparkHTTPBase(url: bad) == nil, "\(bad)")
        }
    }
}

@Suite struct SparkToolCallMembersTests {
    @Test func messageCodableKeepsPlainShapeAndCarriesToolCalls() throws {
        let plain = SparkChatMessage(role: .user, content: "x")
        #expect(String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("toolCall") == false)
        let rich = SparkChatMessage(role: .assistant, content: "", toolCalls: [SparkFunctionCall(name: "f", arguments: "{}", id: "c")])
        #expect(try JSONDecoder().decode(SparkChatMessage.self, from: JSONEncoder().encode(rich)) == rich)
        let tool = SparkChatMessage(role: .tool, content: "r", toolCallID: "c")
        #expect(try JSONDecoder().decode(SparkChatMessage.self, from: JSONEncoder().encode(tool)) == tool)
    }

    @Test func frameFunctionCallIsTheFirstOfFunctionCalls() {
        let a = SparkFunctionCall(name: "a", arguments: "{}")
        let b = SparkFunctionCall(name: "b", arguments: "{}", id: "2")
        var frame = SparkResponseFrame(sid: nil, status: 2, functionCall: a, functionCalls: [b])
        #expect(frame.functionCalls == [a, b])
        frame.functionCall = b
        #expect(frame.functionCalls == [b, b])
        frame.functionCall = nil
        #expect(frame.functionCalls == [b])
        frame.functionCalls = []
        frame.functionCall = a
        #expect(frame.functionCalls == [a])
        #expect(SparkResponseFrame(sid: nil, status: 1).functionCall == nil)
    }
}
