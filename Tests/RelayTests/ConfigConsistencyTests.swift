import Foundation
import JSON
import SparkCodec
import Testing
@testable import Relay

/// Each setting is declared once (`ConfigSetting.all`, `EnvironmentSetting.all`); the shipped
/// `Config/relay.json` and the reference in `Config/README.md` must say what the declarations say.
@Suite struct ConfigConsistencyTests {
    private static let root = TestPaths.repositoryRoot

    /// Every key of the shipped file is declared, in the declared order, with the declared default;
    /// every declared key is in the file unless declared as left out of it.
    @Test func shippedFileListsEveryDeclaredKeyWithItsDefault() throws {
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: Self.root + "/Config/relay.json")))
        let file = try #require(try JSONScanner.parse(data).objectMembers)
        var fileKeys: [String] = []
        var fileValues: [String: JSONValue] = [:]
        for section in file {
            let members = try #require(section.value.objectMembers, "section \(section.key) is not an object")
            for member in members {
                fileKeys.append("\(section.key).\(member.key)")
                fileValues["\(section.key).\(member.key)"] = member.value
            }
        }
        #expect(file.map(\.key) == ConfigSetting.sections)
        let shipped = ConfigSetting.all.filter(\.shipped)
        #expect(fileKeys == shipped.map(\.key), "Config/relay.json and ConfigSetting.all list different keys or orders")
        let defaults = RelayConfiguration()
        for setting in shipped {
            guard let value = fileValues[setting.key] else { continue }
            let declared = try JSONScanner.parse(Array(setting.defaultJSON(defaults).utf8))
            #expect(Self.same(value, declared), "Config/relay.json: \(setting.key) is not its default \(setting.defaultJSON(defaults))")
        }
        // And the file loads to exactly the defaults.
        #expect(try ConfigLoader.load(json: data) == defaults)
    }

    /// `Config/README.md` holds the reference rendered from the declarations.
    @Test func referenceInConfigReadmeIsRenderedFromTheDeclarations() throws {
        let text = try String(contentsOfFile: Self.root + "/Config/README.md", encoding: .utf8)
        let begin = try #require(text.range(of: ConfigReference.beginMarker + "\n"), "Config/README.md has no begin marker")
        let end = try #require(text.range(of: ConfigReference.endMarker, range: begin.upperBound..<text.endIndex),
                               "Config/README.md has no end marker")
        let expected = ConfigReference.markdown()
        let actual = String(text[begin.upperBound..<end.lowerBound])
        if actual != expected {
            let path = NSTemporaryDirectory() + "config-reference.md"
            try? expected.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("Config/README.md's reference differs from the declarations; the rendered reference is in \(path)")
        }
    }

    /// Every key is declared once, in its section, and every declaration loads its own default.
    @Test func declarationsAreUniqueAndLoadTheirDefaults() throws {
        let keys = ConfigSetting.all.map(\.key)
        #expect(Set(keys).count == keys.count)
        let defaults = RelayConfiguration()
        for setting in ConfigSetting.all {
            #expect(ConfigSetting.sections.contains(setting.section), "\(setting.key)")
            let json = "{\"\(setting.section)\":{\"\(setting.name)\":\(setting.defaultJSON(defaults))}}"
            #expect(try ConfigLoader.load(json: Array(json.utf8)) == defaults, "\(setting.key)")
        }
        let names = EnvironmentSetting.all.map(\.name)
        #expect(Set(names).count == names.count)
    }

    private static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }
}
