import Foundation
import Testing
@testable import JSON

@Suite struct JSONScannerTests {
    @Test func parsesAllKinds() throws {
        let value = try JSONScanner.parse(Array(#" {"a":[1,-2.5e+3,true,false,null,"x\u00e9\ud83d\ude00\n"],"b":{},"c":[]} "#.utf8))
        #expect(value["a"]?.arrayValue == [.number("1"), .number("-2.5e+3"), .bool(true), .bool(false), .null, .string("xé😀\n")])
        #expect(value["b"] == .object([]))
        #expect(value["c"] == .array([]))
        #expect(value["a"]?.arrayValue?[0].intValue == 1)
        #expect(value["a"]?.arrayValue?[1].doubleValue == -2500)
        #expect(value["a"]?.arrayValue?[1].intValue == nil)
        #expect(try JSONScanner.parse(Array("\"top\"".utf8)) == .string("top"))
        #expect(try JSONScanner.parse(Array("0".utf8)) == .number("0"))
    }

    @Test(arguments: [
        "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{'a':1}", "[01]", "[-]", "[1.]",
        "[.5]", "[1e]", "[1e+]", "[+1]", "[0x1]", "[NaN]", "[Infinity]", "[tru]", "[nul]", "[True]", "\"a", "\"\\x\"", "\"\\u12\"",
        "\"\\uZZZZ\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"tab\there\"", "\"nl\nhere\"", "[1] [2]", "{} x",
        "\u{FEFF}{}", "[1,,2]", "{\"a\":1 \"b\":2}", "[\"a\":1]",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(!JSONScanner.isValid(Array(text.utf8)), "\(text)")
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(!JSONScanner.isValid([0x22, 0xFF, 0x22]))
        #expect(!JSONScanner.isValid([0x22, 0xC3, 0x22]))
        #expect(!JSONScanner.isValid([0x22, 0xED, 0xA0, 0x80, 0x22])) // encoded surrogate
        #expect(JSONScanner.isValid([0x22, 0xC3, 0xA9, 0x22]))
    }

    /// Foundation on Linux accepts `{"a":1,}`; that case is checked in `rejectsInvalidJSON` instead.
    @Test func agreesWithFoundationOnValidity() {
        let samples = [
            "{}", "[]", "[1,2,3]", "{\"a\":{\"b\":[null,true]}}", "[1e10,-0,0.5E-3]", "[01]", "[1.]",
            "\"\\u0000\"", "[\"\\/\"]", " [ 1 , 2 ] ", "[\"\\ud83d\\ude00\"]", "{\"a\":tru}", "[-01]", "[\"\\a\"]",
            "1E400", "[1e309]", "{\"a\":-1e309}", "1e-400", "123456789012345678901234567890",
        ]
        for sample in samples {
            let foundation = (try? JSONSerialization.jsonObject(with: Data(sample.utf8), options: [.fragmentsAllowed])) != nil
            #expect(JSONScanner.isValid(Array(sample.utf8)) == foundation, "\(sample)")
        }
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONScanError.self) { try JSONScanner.parse(Array(deep.utf8)) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(JSONScanner.isValid(Array(ok.utf8)))
        let huge = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONScanError(.tooDeep, at: 320)) { try JSONScanner.parse(Array(huge.utf8)) }
    }

    @Test func memberRangesPointAtRawValues() throws {
        let text = Array(#"{ "header" : {"code":0}, "payload" :  { "choices" : [ 1 , 2 ] } , "payload2":"x" }"#.utf8)
        let range = try #require(try JSONScanner.memberRange("payload", in: text))
        #expect(Array(text[range]).utf8String == #"{ "choices" : [ 1 , 2 ] }"#)
        #expect(try JSONScanner.memberRange("missing", in: text) == nil)
        #expect(throws: JSONScanError(.notAnObject, at: 0)) { try JSONScanner.memberRange("a", in: Array("[1]".utf8)) }
        let nested = try JSONScanner.parse(text)
        let choices = try #require(nested["payload"]?.member("choices"))
        #expect(Array(text[choices.valueRange]).utf8String == "[ 1 , 2 ]")
    }

    @Test func duplicateKeysLastWins() throws {
        let value = try JSONScanner.parse(Array(#"{"a":1,"a":2}"#.utf8))
        #expect(value["a"] == .number("2"))
    }

    @Test func compactRemovesOnlyInsignificantWhitespace() {
        let pretty = "{\n  \"a b\" : [ 1,\t2 ],\r\n  \"s\": \"x \\\" y\\\\\",\n  \"t\" : \"\\\\\" }\n"
        #expect(JSONScanner.compact(Array(pretty.utf8)).utf8String == #"{"a b":[1,2],"s":"x \" y\\","t":"\\"}"#)
        #expect(JSONScanner.compact(Array("\"  \"".utf8)).utf8String == "\"  \"")
    }
}
