import Foundation

/// Pins processes to one core with `sched_setaffinity` (every thread: the call is per thread, and
/// threads created later inherit the mask of the thread that creates them).
enum Affinity {
    /// Sets the CPU mask of every thread of `pid` to `cpu` alone; returns how many threads were pinned.
    @discardableResult
    static func pin(pid: pid_t, cpu: Int) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var pinned = 0
        for task in tasks {
            guard let tid = pid_t(task) else { continue }
            var set = cpu_set_t()
            withUnsafeMutableBytes(of: &set) { bytes in
                bytes.storeBytes(of: UInt64(1) << UInt64(cpu), toByteOffset: (cpu / 64) * 8, as: UInt64.self)
            }
            if let setAffinity = Self.setAffinity, setAffinity(tid, MemoryLayout<cpu_set_t>.size, &set) == 0 { pinned += 1 }
        }
        return pinned
    }

    /// glibc's `sched_setaffinity`, looked up at run time: Swift's Glibc module does not declare it
    /// (it needs `_GNU_SOURCE`).
    private static let setAffinity: (@convention(c) (pid_t, Int, UnsafeMutablePointer<cpu_set_t>) -> Int32)? = {
        guard let symbol = dlsym(nil, "sched_setaffinity") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pid_t, Int, UnsafeMutablePointer<cpu_set_t>) -> Int32).self)
    }()

    /// Processes whose parent is `pid` (nginx's workers under its master).
    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let child = pid_t(entry),
                  let stat = FileManager.default.contents(atPath: "/proc/\(entry)/stat").map({ String(decoding: $0, as: UTF8.self) }),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // fields[0] is the state, fields[1] the parent pid.
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }
    }

    /// Open descriptors of `pid` (entries of /proc/PID/fd).
    static func descriptorCount(pid: pid_t) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")).map(\.count)
    }
}
