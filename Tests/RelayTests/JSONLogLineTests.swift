import Foundation
import Logging
import Testing
@testable import Relay

@Suite struct JSONLogLineTests {
    /// Parses `line` with Foundation's JSON parser (independent of the encoder).
    private func parse(_ line: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [])
        return try #require(object as? [String: Any], "not an object: \(line)")
    }

    private func encode(_ message: String, _ metadata: Logger.Metadata = [:]) -> String {
        JSONLogLine.encode(timestamp: "2026-11-25T10:00:00.123Z", level: .warning, label: "spark-relay",
                           message: message, metadata: metadata)
    }

    @Test func fixedFieldsComeFirstThenSortedMetadata() throws {
        let line = encode("listening", ["b.key": "2", "a.key": "1"])
        #expect(line == #"{"timestamp":"2026-11-25T10:00:00.123Z","level":"warning","logger":"spark-relay","message":"listening","a.key":"1","b.key":"2"}"#)
    }

    @Test(arguments: [
        "quote \" and backslash \\ and slash /",
        "line\nbreak\r\nand\ttab",
        "controls \u{00}\u{01}\u{08}\u{0C}\u{1B}\u{1F} end",
        "separators \u{2028} \u{2029} in JavaScript",
        "multi-byte 讯飞星火 and 😀 and combining e\u{301}",
        "",
        "\"}{\"injected\":true,\"x\":\"",
    ])
    func everyStringRoundTripsOnOneLine(text: String) throws {
        let line = encode(text, ["path": .string(text), text.isEmpty ? "empty" : "k": .string(text)])
        #expect(!line.contains("\n") && !line.contains("\r"), "\(line)")
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" })
        let object = try parse(line)
        #expect(object["message"] as? String == text)
        #expect(object["path"] as? String == text)
        #expect(object["injected"] == nil)
    }

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        var out = ""
        JSONLogLine.string("a\u{01}b\nc\u{1F}", into: &out)
        #expect(out == #""a\u0001b\nc\u001f""#)
    }

    @Test func numbersBooleansAndNestedValuesKeepTheirType() throws {
        let line = encode("access", [
            "status": .stringConvertible(200),
            "ratio": .stringConvertible(0.25),
            "ok": .stringConvertible(true),
            "infinite": .stringConvertible(Double.infinity),
            "list": .array(["a", .stringConvertible(2)]),
            "nested": .dictionary(["z": "last", "a": .dictionary(["deep": "\"x\""])]),
        ])
        let object = try parse(line)
        #expect(object["status"] as? Int == 200)
        #expect(object["ratio"] as? Double == 0.25)
        #expect(object["ok"] as? Bool == true)
        #expect(object["infinite"] as? String == "inf")
        #expect((object["list"] as? [Any])?.count == 2)
        let nested = try #require(object["nested"] as? [String: Any])
        #expect((nested["a"] as? [String: Any])?["deep"] as? String == "\"x\"")
    }

    @Test func metadataCannotOverwriteTheFixedFields() throws {
        let line = encode("real message", ["message": "forged", "level": "debug", "timestamp": "0", "logger": "x"])
        let object = try parse(line)
        #expect(object["message"] as? String == "real message")
        #expect(object["level"] as? String == "warning")
        #expect(object["metadata.message"] as? String == "forged")
        #expect(object["metadata.level"] as? String == "debug")
        #expect(line.components(separatedBy: #""message":"#).count == 2)
    }

    @Test func handlerWritesJSONLinesWithHandlerAndEventMetadata() throws {
        let logs = LogCapture()
        var logger = Logger(label: "spark-relay") { label in
            RelayLogHandler(label: label, level: .info, format: .json, sink: { logs.append($0) })
        }
        logger[metadataKey: "connection.id"] = "7"
        logger.debug("not written")
        logger.info("access", metadata: ["path": "/chat", "status": "200"])
        let lines = logs.lines
        #expect(lines.count == 1)
        let object = try parse(try #require(lines.first))
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "access")
        #expect(object["connection.id"] as? String == "7")
        #expect(object["path"] as? String == "/chat")
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z"), "\(timestamp)")
    }

    @Test func textStaysTheDefault() {
        let logs = LogCapture()
        let logger = Logger(label: "spark-relay") { label in RelayLogHandler(label: label, level: .info, sink: { logs.append($0) }) }
        logger.info("hello", metadata: ["k": "v w"])
        #expect(logs.lines.count == 1)
        #expect(logs.lines.first?.hasSuffix(#" info spark-relay: hello k="v w""#) == true)
    }
}
