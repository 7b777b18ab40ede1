import Foundation

/// Reads memory and CPU time of another process from `/proc`.
public struct ProcessProbe: Sendable {
    /// The process id.
    public let pid: Int32
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
    public static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// A probe for `pid`.
    public init(pid: Int32) {
        self.pid = pid
    }

    /// Resident set size (VmRSS), KiB.
    public func residentKiB() throws(ProcReadError) -> Int {
        try ProcParser.residentKiB(status: try read("status"))
    }

    /// User plus system CPU time, seconds.
    public func cpuSeconds() throws(ProcReadError) -> Double {
        Double(try ProcParser.cpuTicks(stat: try read("stat"))) / Self.ticksPerSecond
    }

    /// Time on the CPU of every thread alive now (`/proc/PID/task/*/schedstat`), seconds: nanosecond
    /// resolution where `cpuSeconds()` counts 10 ms ticks. Threads that already exited are not
    /// counted, so take differences over a run in which the thread set is stable.
    public func scheduledSeconds() -> Double {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var nanoseconds = 0
        for task in tasks {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/task/\(task)/schedstat"),
                  let value = try? ProcParser.runNanoseconds(schedstat: String(decoding: data, as: UTF8.self)) else { continue }
            nanoseconds += value
        }
        return Double(nanoseconds) / 1e9
    }

    /// Context switches (voluntary + involuntary) of every thread alive now; threads that already
    /// exited are not counted, so take differences over a run in which the thread set is stable.
    public func contextSwitches() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var total = 0
        for task in tasks {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/task/\(task)/status") else { continue }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
            where line.hasPrefix("voluntary_ctxt_switches:") || line.hasPrefix("nonvoluntary_ctxt_switches:") {
                total += Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            }
        }
        return total
    }

    private func read(_ name: String) throws(ProcReadError) -> String {
        let path = "/proc/\(pid)/\(name)"
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return String(decoding: data, as: UTF8.self)
    }
}
