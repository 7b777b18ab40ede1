import Foundation
import Logging
import SparkCodec
import Testing
@testable import Relay

/// The usage file on its own: one JSON line per record, rotation by size, reopening after a move
/// (logrotate), and what happens when the disk refuses.
@Suite struct UsageLogTests {
    static func record(_ index: Int, estimated: Bool = false, keyed: Bool? = nil) -> UsageRecord {
        let keyed = keyed ?? (index % 2 == 0)
        return UsageRecord(time: UnixTime(secondsSince1970: 1_796_600_000.25), requestID: "7-\(index)", key: keyed ? "web" : nil,
                    client: keyed ? nil : "10.0.0.\(index)", route: "/chat/stream", model: "generalv3.5",
                    sparkProtocol: .websocket, stream: true, promptTokens: 10, completionTokens: index, estimated: estimated,
                    outcome: .done, errorCode: nil, durationMilliseconds: 12.34, timeToFirstTokenMilliseconds: 5, sid: "cht000\(index)")
    }

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "usage-log-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func lines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static let quiet = Logger(label: "test") { label in RelayLogHandler(label: label, level: .critical, sink: { _ in }) }

    @Test func aRecordIsOneLineOfJSONWithEveryField() throws {
        let line = Self.record(2, estimated: true).jsonLine()
        #expect(line.last == 0x0A)
        #expect(line.dropLast().allSatisfy { $0 != 0x0A })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["time"] as? String == "2026-12-06T23:33:20.250Z")
        #expect(object["request_id"] as? String == "7-2")
        #expect(object["key"] as? String == "web")
        #expect(object["client"] is NSNull)
        #expect(object["route"] as? String == "/chat/stream")
        #expect(object["protocol"] as? String == "websocket")
        #expect(object["prompt_tokens"] as? Int == 10 && object["completion_tokens"] as? Int == 2 && object["total_tokens"] as? Int == 12)
        #expect(object["usage"] as? String == "estimate")
        #expect(object["outcome"] as? String == "done")
        #expect(object["duration_ms"] as? Double == 12.3)
        #expect(object["ttft_ms"] as? Double == 5.0)
        #expect(object["sid"] as? String == "cht0002")
    }

    @Test func recordsAreAppendedInOrder() throws {
        let directory = try Self.directory()
        let path = directory + "/usage.jsonl"
        let log = try UsageLog(path: path, maxBytes: 0, keep: 3, maxQueued: 100, logger: Self.quiet)
        for index in 0..<20 { log.append(Self.record(index)) }
        log.flush()
        #expect(Self.lines(path).map { $0["request_id"] as? String } == (0..<20).map { "7-\($0)" })
    }

    @Test func theFileIsRotatedBySizeKeepingTheNewestGenerations() throws {
        let directory = try Self.directory()
        let path = directory + "/usage.jsonl"
        // Records 10…19 are all the same length.
        let lineLength = Self.record(10, keyed: true).jsonLine().count
        let log = try UsageLog(path: path, maxBytes: lineLength * 3, keep: 2, maxQueued: 100, logger: Self.quiet)
        for index in 10..<20 { log.append(Self.record(index, keyed: true)) }
        log.flush()
        // 10 records, 3 per file: the current file has the last one, .1 and .2 the three before each.
        #expect(Self.lines(path).map { $0["request_id"] as? String } == ["7-19"])
        #expect(Self.lines(path + ".1").map { $0["request_id"] as? String } == ["7-16", "7-17", "7-18"])
        #expect(Self.lines(path + ".2").map { $0["request_id"] as? String } == ["7-13", "7-14", "7-15"])
        #expect(!FileManager.default.fileExists(atPath: path + ".3"))
    }

    @Test func reopenStartsANewFileAfterLogrotateMovedIt() throws {
        let directory = try Self.directory()
        let path = directory + "/usage.jsonl"
        let log = try UsageLog(path: path, maxBytes: 0, keep: 0, maxQueued: 100, logger: Self.quiet)
        log.append(Self.record(1))
        log.flush()
        try FileManager.default.moveItem(atPath: path, toPath: path + ".old")
        log.append(Self.record(2))  // still goes to the moved file, as with any logger before SIGHUP
        log.reopen()
        log.append(Self.record(3))
        log.flush()
        #expect(Self.lines(path + ".old").map { $0["request_id"] as? String } == ["7-1", "7-2"])
        #expect(Self.lines(path).map { $0["request_id"] as? String } == ["7-3"])
    }

    @Test func anUnwritablePathIsAStartupErrorNamingTheSetting() throws {
        #expect(throws: ConfigError.self) {
            _ = try UsageLog(path: "/nonexistent-directory/usage.jsonl", maxBytes: 0, keep: 0, maxQueued: 10, logger: Self.quiet)
        }
        do {
            _ = try UsageLog(path: "/nonexistent-directory/usage.jsonl", maxBytes: 0, keep: 0, maxQueued: 10, logger: Self.quiet)
        } catch {
            #expect(error.key == "log.usage_file")
        }
    }

    @Test func aFullDiskIsCountedAndLoggedOnceAMinuteWithoutStopping() throws {
        let logs = LogCapture()
        let logger = Logger(label: "test") { label in RelayLogHandler(label: label, level: .debug, sink: { logs.append($0) }) }
        final class Clock: @unchecked Sendable { var now = 0.0 }  // advanced only between flushes
        let clock = Clock()
        let lost = LockedCounter()
        // /dev/full accepts the open and refuses every write with ENOSPC.
        let log = try UsageLog(path: "/dev/full", maxBytes: 0, keep: 0, maxQueued: 100, logger: logger,
                               onLoss: { if $0 == .writeFailed { lost.increment() } }, clock: { clock.now })
        for index in 0..<5 { log.append(Self.record(index)) }
        log.flush()
        clock.now = 61
        log.append(Self.record(5))
        log.flush()
        #expect(log.lost(.writeFailed) == 6)
        #expect(lost.value == 6)
        let errors = logs.lines.filter { $0.contains("cannot write the usage file") }
        #expect(errors.count == 2)
        #expect(errors.first?.contains("No space left on device") == true)
    }
}

/// A counter for callbacks from other threads.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
