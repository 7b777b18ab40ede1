import Dispatch
import Glibc
import Logging
import Synchronization

/// The usage file (`log.usage_file`): one JSON line per `UsageRecord`, appended by a serial queue
/// of its own so that no event loop ever waits for the disk. Bounded: at most `maxQueued` records
/// wait for the disk (past it they are dropped and counted). Rotated when a write would take the file
/// past `maxBytes` (`file` → `file.1` → … → `file.<keep>`), and reopened on `SIGHUP` for logrotate.
/// A failing write (a full disk) is counted and logged at most once a minute; streaming never stops.
final class UsageLog: Sendable {
    /// Why records did not reach the file.
    enum Loss: String, Sendable, CaseIterable {
        /// More than `maxQueued` records were waiting for the disk.
        case queueFull = "queue_full"
        /// The write failed (disk full, I/O error).
        case writeFailed = "write_failed"
    }

    let path: String
    let maxBytes: Int
    let keep: Int
    let maxQueued: Int
    private let queue = DispatchQueue(label: "spark-relay.usage-log")
    private let queued = Atomic<Int>(0)
    /// Owned by `queue`: the open descriptor and the bytes in the file.
    private let file = Mutex<(descriptor: Int32, size: Int, throttle: LogThrottle)>((-1, 0, LogThrottle(interval: 60)))
    private let losses = Mutex<[Loss: Int]>([:])
    private let logger: Logger
    private let clock: @Sendable () -> Double
    private let onLoss: @Sendable (Loss) -> Void

    /// Opens (creating) the file for appending; throws when it cannot be written (a start-up error).
    /// `onLoss` counts each lost record (a metric).
    init(path: String, maxBytes: Int, keep: Int, maxQueued: Int, logger: Logger, onLoss: @escaping @Sendable (Loss) -> Void = { _ in },
         clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) throws(ConfigError) {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = keep
        self.maxQueued = maxQueued
        self.logger = logger
        self.onLoss = onLoss
        self.clock = clock
        let (descriptor, size) = Self.open(path)
        guard descriptor >= 0 else {
            throw ConfigError(key: "log.usage_file", message: "cannot open '\(path)' for appending: \(String(cString: strerror(errno)))")
        }
        file.withLock { $0.descriptor = descriptor; $0.size = size }
    }

    deinit {
        file.withLock { if $0.descriptor >= 0 { Glibc.close($0.descriptor) } }
    }

    /// Records lost so far, by reason.
    func lost(_ reason: Loss) -> Int { losses.withLock { $0[reason] ?? 0 } }

    /// Queues one record for the file (never blocks).
    func append(_ record: UsageRecord) {
        let line = record.jsonLine()
        guard queued.add(1, ordering: .relaxed).newValue <= maxQueued else {
            queued.subtract(1, ordering: .relaxed)
            count(.queueFull)
            return
        }
        queue.async { [self] in
            write(line)
            queued.subtract(1, ordering: .relaxed)
        }
    }

    /// Closes and reopens the file (after logrotate moved it): the next record starts the new file.
    func reopen() {
        queue.async { [self] in
            file.withLock { state in
                if state.descriptor >= 0 { Glibc.close(state.descriptor) }
                (state.descriptor, state.size) = Self.open(path)
            }
            logger.notice("usage file reopened", metadata: ["path": "\(path)"])
        }
    }

    /// Waits until every queued record is written (shutdown, tests).
    func flush() {
        queue.sync {}
    }

    // MARK: - On the queue

    private func write(_ line: [UInt8]) {
        let failure: Int32? = file.withLock { state in
            if maxBytes > 0, state.size > 0, state.size + line.count > maxBytes {
                rotate(&state)
            }
            if state.descriptor < 0 {
                // A failed reopen or rotation: try again with each record.
                (state.descriptor, state.size) = Self.open(path)
                if state.descriptor < 0 { return errno }
            }
            var offset = 0
            while offset < line.count {
                let written = line.withUnsafeBytes { Glibc.write(state.descriptor, $0.baseAddress! + offset, line.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            state.size += line.count
            return nil
        }
        if let failure { report(failure) }
    }

    /// `file` → `file.1`, each `file.n` → `file.n+1`, the oldest beyond `keep` removed; a new `file`.
    private func rotate(_ state: inout (descriptor: Int32, size: Int, throttle: LogThrottle)) {
        if state.descriptor >= 0 { Glibc.close(state.descriptor) }
        if keep > 0 {
            unlink("\(path).\(keep)")
            for generation in stride(from: keep - 1, through: 1, by: -1) {
                rename("\(path).\(generation)", "\(path).\(generation + 1)")
            }
            rename(path, "\(path).1")
        } else {
            unlink(path)
        }
        (state.descriptor, state.size) = Self.open(path)
    }

    private func report(_ code: Int32) {
        count(.writeFailed)
        let now = clock()
        let occurrences = file.withLock { $0.throttle.record(now: now) }
        if let occurrences {
            logger.error("cannot write the usage file: records are being lost", metadata: [
                "path": "\(path)", "error": "\(String(cString: strerror(code)))", "count": "\(occurrences)"])
        }
    }

    private func count(_ reason: Loss) {
        losses.withLock { $0[reason, default: 0] += 1 }
        onLoss(reason)
    }

    private static func open(_ path: String) -> (Int32, Int) {
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { return (-1, 0) }
        var status = stat()
        let size = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
        return (descriptor, size)
    }
}
