import Foundation
import Testing
@testable import Relay

/// `JSONBody` replaced Foundation's `JSONEncoder` (`.sortedKeys, .withoutEscapingSlashes`) in the
/// server; these tests hold it to Foundation's output, byte for byte, on the shapes the relay encodes
/// and on harder ones.
@Suite struct JSONBodyTests {
    struct Inner: Encodable { var type: String; var code: String; var message: String }
    struct Envelope: Encodable { var error: Inner }
    struct Mixed: Encodable {
        var zeta = 1
        var alpha = "a/b\\c\"d"
        var optionalMissing: String? = nil
        var optionalPresent: Int? = -42
        var flags = [true, false]
        var nested = ["k2": [1, 2], "k1": []]
        var big: UInt64 = .max
        var small: Int64 = .min
        var fraction = 0.25
        var controls = "\u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f} end"
        var unicode = "讯飞星火 🚀 é"
        var empty = ""
    }
    struct WithNull: Encodable {
        var value: String?
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeNil(forKey: .value)
        }
        enum CodingKeys: String, CodingKey { case value }
    }

    static func foundation(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func ours(_ value: some Encodable) -> String {
        String(decoding: JSONBody.encode(value), as: UTF8.self)
    }

    @Test func errorEnvelopeMatchesFoundation() throws {
        let value = Envelope(error: Inner(type: "invalid_request_error", code: "invalid_json", message: "the body is not valid JSON"))
        #expect(Self.ours(value) == (try Self.foundation(value)))
        #expect(Self.ours(value) == #"{"error":{"code":"invalid_json","message":"the body is not valid JSON","type":"invalid_request_error"}}"#)
    }

    @Test func mixedShapesMatchFoundation() throws {
        #expect(Self.ours(Mixed()) == (try Self.foundation(Mixed())))
    }

    @Test func topLevelArraysAndScalarsMatchFoundation() throws {
        #expect(Self.ours([Envelope(error: Inner(type: "t", code: "c", message: "m"))]) == (try Self.foundation([Envelope(error: Inner(type: "t", code: "c", message: "m"))])))
        #expect(Self.ours("plain") == (try Self.foundation("plain")))
        #expect(Self.ours(7) == (try Self.foundation(7)))
        #expect(Self.ours([String: Int]()) == (try Self.foundation([String: Int]())))
    }

    @Test func explicitNullIsWritten() throws {
        #expect(Self.ours(WithNull()) == #"{"value":null}"#)
        #expect(Self.ours(WithNull()) == (try Self.foundation(WithNull())))
    }

    @Test func lineSeparatorsAreEscapedForJavaScript() {
        // The one deliberate difference: U+2028/U+2029 are legal JSON but end a line in JavaScript.
        #expect(Self.ours(["k": "a\u{2028}b\u{2029}"]) == #"{"k":"a\u2028b\u2029"}"#)
    }

    @Test func nonFiniteNumbersGiveTheFixedErrorBody() {
        let text = Self.ours(["x": Double.nan])
        #expect(text.contains("encoding_failed"))
    }
}
