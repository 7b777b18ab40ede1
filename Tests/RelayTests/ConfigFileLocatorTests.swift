import Foundation
import Logging
import Testing
@testable import Relay

@Suite struct ConfigFileLocatorTests {
    @Test func explicitFileIsMadeAbsoluteAndNotSearched() {
        let location = ConfigFileLocator.locate(explicit: "conf/../my.json", workingDirectory: "/srv/relay", exists: { _ in false })
        #expect(location == .init(path: "/srv/relay/my.json", searched: []))
        #expect(ConfigFileLocator.locate(explicit: "/etc/x.json", workingDirectory: "/tmp").path == "/etc/x.json")
    }

    @Test func repositoryFileWinsOverTheSystemFile() {
        let location = ConfigFileLocator.locate(explicit: nil, workingDirectory: "/home/me/spark-relay", exists: { _ in true })
        #expect(location.path == "/home/me/spark-relay/Config/relay.json")
        #expect(location.searched == ["/home/me/spark-relay/Config/relay.json", "/etc/spark-relay/relay.json"])
    }

    @Test func systemFileIsUsedFromAnyOtherDirectory() {
        let location = ConfigFileLocator.locate(explicit: nil, workingDirectory: "/", exists: { $0 == "/etc/spark-relay/relay.json" })
        #expect(location.path == "/etc/spark-relay/relay.json")
    }

    @Test func noFileMeansDefaults() {
        let location = ConfigFileLocator.locate(explicit: nil, workingDirectory: "/tmp/empty", exists: { _ in false })
        #expect(location.path == nil)
        #expect(location.searched == ["/tmp/empty/Config/relay.json", "/etc/spark-relay/relay.json"])
    }

    @Test(arguments: [
        ("Public", "/srv", "/srv/Public"),
        ("./Public/", "/srv/", "/srv/Public"),
        ("../share/Public", "/srv/relay", "/srv/share/Public"),
        ("/var/www", "/srv", "/var/www"),
        ("../../..", "/a", "/"),
        ("a//b/./c", "/", "/a/b/c"),
    ])
    func absolutePaths(path: String, base: String, expected: String) {
        #expect(ConfigFileLocator.absolute(path, relativeTo: base) == expected)
    }
}

@Suite struct StartupPathsTests {
    private let found = ConfigFileLocator.Location(path: "/etc/spark-relay/relay.json", searched: [])
    private let none = ConfigFileLocator.Location(path: nil, searched: ["/tmp/x/Config/relay.json", "/etc/spark-relay/relay.json"])

    @Test func namesTheConfigFileAndTheServedDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("startup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Public"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("<!doctype html>".utf8).write(to: root.appendingPathComponent("Public/index.html"))
        let paths = StartupPaths(config: found, publicDirectorySetting: "Public", workingDirectory: root.path)
        #expect(paths.publicDirectoryState() == .ready)
        let lines = paths.lines()
        #expect(lines.map(\.message) == ["config file /etc/spark-relay/relay.json", "serving \(root.path)/Public at /"])
        #expect(lines.allSatisfy { $0.level == .notice })
    }

    @Test func saysWhenDefaultsApply() {
        let line = StartupPaths(config: none, publicDirectorySetting: "/srv/Public", workingDirectory: "/tmp/x")
            .lines(publicDirectoryState: .ready)[0]
        #expect(line.message.contains("no config file found"))
        #expect(line.message.contains("/tmp/x/Config/relay.json and /etc/spark-relay/relay.json"))
        #expect(line.message.contains("built-in defaults apply"))
    }

    @Test func missingPublicDirectoryIsAWarningThatNamesTheSetting() {
        let paths = StartupPaths(config: none, publicDirectorySetting: "Public", workingDirectory: "/nonexistent-\(UUID().uuidString)")
        #expect(paths.publicDirectoryState() == .missing)
        let warning = paths.lines()[1]
        #expect(warning.level == .warning)
        #expect(warning.message.contains("\(paths.workingDirectory)/Public does not exist"))
        #expect(warning.message.contains("/ and every static file will answer 404"))
        #expect(warning.message.contains("server.public_dir"))
        #expect(warning.message.contains("relative to the working directory \(paths.workingDirectory)"))
    }

    @Test func directoryWithoutIndexIsAWarning() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("startup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let paths = StartupPaths(config: found, publicDirectorySetting: root.path, workingDirectory: "/")
        #expect(paths.publicDirectoryState() == .noIndex)
        let warning = paths.lines()[1]
        #expect(warning.level == .warning && warning.message.contains("has no index.html: / will answer 404"))
        #expect(!warning.message.contains("relative to"))
    }

    @Test func logsEveryLine() {
        let logs = LogCapture()
        let logger = Logger(label: "spark-relay") { label in RelayLogHandler(label: label, level: .info, sink: { logs.append($0) }) }
        StartupPaths(config: none, publicDirectorySetting: "Public", workingDirectory: "/nonexistent").log(to: logger)
        #expect(logs.lines.count == 2)
        #expect(logs.lines[1].contains(" warning spark-relay: public directory /nonexistent/Public does not exist"))
    }
}
