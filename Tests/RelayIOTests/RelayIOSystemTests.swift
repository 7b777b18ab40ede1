import Foundation
import Testing
@testable import RelayIO

/// The POSIX helpers that replaced Foundation in the server (file reads, environment, processor count,
/// condition waits), checked against Foundation where it has the same function.
@Suite struct RelayIOSystemTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "relayio-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func readsWholeFilesUpToTheLimit() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = directory + "/data.bin"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(try FileSystem.read(path: path, limit: 100_000) == bytes)
        #expect(throws: FileSystem.ReadError.tooLarge(limit: 99_999)) { try FileSystem.read(path: path, limit: 99_999) }
        _ = FileManager.default.createFile(atPath: directory + "/empty", contents: Data())
        #expect(try FileSystem.read(path: directory + "/empty", limit: 0) == [])
    }

    @Test func readErrorsSayWhatWentWrong() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: FileSystem.ReadError.cannotOpen(errno: ENOENT)) { try FileSystem.read(path: directory + "/missing", limit: 10) }
        #expect(throws: FileSystem.ReadError.notRegularFile) { try FileSystem.read(path: directory, limit: 10) }
        #expect(FileSystem.readText(path: directory + "/missing", limit: 10) == nil)
    }

    @Test func procFilesReportSizeZeroYetReadCompletely() throws {
        let text = try #require(FileSystem.readText(path: "/proc/self/status", limit: 1 << 20))
        #expect(text.contains("Name:"))
        #expect(text.hasSuffix("\n"))
    }

    @Test func kindsAndRealPathsMatchFoundation() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/file", contents: Data("x".utf8))
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: directory + "/file")
        #expect(FileSystem.kind(of: directory) == .directory)
        #expect(FileSystem.kind(of: directory + "/file") == .regularFile)
        #expect(FileSystem.kind(of: directory + "/link") == .regularFile)
        #expect(FileSystem.kind(of: directory + "/nothing") == .missing)
        #expect(FileSystem.kind(of: "/dev/null") == .other)
        let resolved = try #require(FileSystem.realPath(directory + "/./link"))
        #expect(resolved == URL(fileURLWithPath: directory + "/file").resolvingSymlinksInPath().path)
        #expect(FileSystem.realPath(directory + "/nothing") == nil)
        #expect(FileSystem.currentDirectory() == FileManager.default.currentDirectoryPath)
    }

    @Test func environmentMatchesProcessInfo() {
        #expect(ProcessEnvironment.current() == ProcessInfo.processInfo.environment)
    }

    @Test func processorCountFollowsTheAffinityMask() {
        #expect(ProcessorCount.available == ProcessInfo.processInfo.activeProcessorCount)
        #expect(ProcessorCount.available >= 1)
    }

    @Test func conditionWaitsEndOnUpdateOrTimeout() async {
        let lock = ConditionLock()
        nonisolated(unsafe) var value = 0
        let waiter = Task.detached { lock.wait(timeout: 30) { value == 3 } }
        for _ in 0..<3 { lock.update { value += 1 } }
        #expect(await waiter.value)
        #expect(lock.wait(timeout: 0.05) { value == 4 } == false)
        #expect(lock.withLock { value } == 3)
    }
}
