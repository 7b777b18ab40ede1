import Testing
@testable import Relay

/// The media type of a `Content-Type` value, read byte by byte for ASCII values, equals what the
/// Unicode-aware reading (split at `;`, trim spaces and tabs, lowercase) gives, for every value here.
@Suite struct ContentTypeTests {
    static func unicodeReading(_ value: String) -> String {
        value.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() } ?? ""
    }

    @Test(arguments: ["application/json", "Application/JSON; charset=utf-8", "  application/json  ", "\tapplication/vnd.api+json;x=1",
                      "application/x-www-form-urlencoded", "text/plain", "", ";", " ; charset=utf-8", "APPLICATION/PROBLEM+JSON",
                      "application/json\u{0B}", "application/jsonx", "multipart/form-data; boundary=x", "application/ json",
                      "\u{A0}application/json", "appl\u{130}cation/json"])
    func byteReadingAgreesWithTheUnicodeReading(_ value: String) {
        #expect(ChatInput.mediaType(of: value) == Self.unicodeReading(value))
    }

    @Test func randomASCIIValuesAgree() {
        var state: UInt64 = 0xC0FFEE
        let alphabet = Array("aAjJsSoOnN/+;= \t-xX.".utf8)
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(state >> 60) + 2 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(state >> 59) % alphabet.count])
            }
            let value = String(decoding: bytes, as: UTF8.self)
            #expect(ChatInput.mediaType(of: value) == Self.unicodeReading(value), "\(value)")
        }
    }

    @Test func jsonAndFormsAreAccepted() {
        #expect(ChatInput.isAcceptedMediaType(ChatInput.mediaType(of: "Application/JSON; charset=utf-8")))
        #expect(ChatInput.isAcceptedMediaType(ChatInput.mediaType(of: "application/vnd.api+json")))
        #expect(ChatInput.isAcceptedMediaType(ChatInput.mediaType(of: "application/x-www-form-urlencoded")))
        #expect(!ChatInput.isAcceptedMediaType(ChatInput.mediaType(of: "text/plain")))
    }
}
