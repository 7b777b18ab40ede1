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
