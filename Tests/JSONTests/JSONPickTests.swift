import Testing
@testable import JSON

/// The selective parse behind `SparkFrameDecoder`: validates exactly like a full parse, builds only
/// the picked members.
@Suite struct JSONPickTests {
    private func full(_ text: String) -> Result<JSONValue, JSONScanError> {
        Result { () throws(JSONScanError) in try JSONScanner.parse(Array(text.utf8)) }
    }

    private func picked(_ text: String, _ pick: JSONPick) -> Result<JSONValue, JSONScanError> {
        Result { () throws(JSONScanError) in try JSONScanner.parse(Array(text.utf8), picking: pick).value }
    }

    static let inputs: [String] = [
        "", " ", "{", "}", "[", "[1,]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "[01]", "[-]", "[1.]", "[1e]",
        "[tru]", "\"a", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"tab\there\"",
        "[1] [2]", "{} x", "[1,,2]", "{\"a\":1 \"b\":2}", "[1e400]", "[-1e400]", "{\"x\":{\"y\":[1e309]}}", "[1e-400]",
        "{\"skip\":[1,2,{\"q\":\"\\u00e9\"}],\"a\":{\"b\":1,\"c\":\"x\"}}", "{\"a\":{\"b\":1},\"a\":{\"c\":2}}",
        "{\"skip\":\"bad \\q escape\",\"a\":1}", "{\"skip\":1e999,\"a\":1}", "{\"a\":[{\"b\":true,\"z\":null},{\"b\":2}]}",
        " {\"a\" : { \"b\" : [ 1 ] } } ", "{\"a\":\"x\"}", "{\"a\":[{\"b\":1}]}",
        "[" + String(repeating: "9", count: 308) + "]", "[" + String(repeating: "9", count: 309) + "]",
        "{\"skip\":" + String(repeating: "9", count: 309) + ",\"a\":1}", "{\"skip\":-" + String(repeating: "1", count: 310) + ".5}",
        "{\"" + String(repeating: "k", count: 40) + "\":{\"deep\":" + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}}",
    ]

    static let pick: JSONPick = .members([("a", .members([("b", .all)])), ("n", .kind)])

    @Test(arguments: inputs)
    func validatesExactlyLikeAFullParse(text: String) {
        switch (full(text), picked(text, Self.pick), picked(text, .members([]))) {
        case (.failure(let expected), .failure(let error), .failure(let skipped)):
            #expect(error == expected, "\(text)")
            #expect(skipped == expected, "\(text)")
        case (.success(let value), .success(let pickedValue), .success):
            // Every picked path reads the same.
            #expect(pickedValue["a"]?["b"] == value["a"]?["b"], "\(text)")
            #expect(pickedValue.member("a")?.valueRange == value.member("a")?.valueRange, "\(text)")
            #expect(pickedValue.isObject == value.isObject)
        case let (expected, got, skipped):
            Issue.record("\(text): full \(expected), picked \(got), skipped \(skipped)")
        }
    }

    @Test func skipsWhatIsNotPicked() throws {
        let text = #"{"a":{"b":"x","c":"y"},"d":[1,2],"n":{"deep":[1]}}"#
        let (value, isCompact) = try JSONScanner.parse(Array(text.utf8), picking: Self.pick)
        #expect(isCompact)
        #expect(value.objectMembers?.map(\.key) == ["a", "n"])
        #expect(value["a"]?.objectMembers?.map(\.key) == ["b"])
        #expect(value["n"] == .object([]))
        #expect(value.member("n")?.valueRange == 37..<49)
        #expect(try JSONScanner.parse(Array(" {\"a\":1}".utf8), picking: .all).isCompact == false)
        #expect(try JSONScanner.parse(Array("{\"a\":\" \"}".utf8), picking: .all).isCompact == true)
    }
}
