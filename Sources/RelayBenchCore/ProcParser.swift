/// Parsers for the `/proc/PID` files the bench reads (proc(5)); pure functions over the text.
public enum ProcParser {
    /// `VmRSS` from `/proc/PID/status`, in KiB.
    public static func residentKiB(status: String) throws(ProcReadError) -> Int {
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = fields.first.flatMap({ Int($0) }) else {
                throw .malformed("VmRSS line '\(line)'")
            }
            if fields.count > 1, fields[1] != "kB" { throw .malformed("VmRSS unit '\(fields[1])'") }
            return value
        }
        throw .malformed("no VmRSS line")
    }

    /// `utime + stime` from `/proc/PID/stat`, in clock ticks. The command name (field 2) is in
    /// parentheses and may itself contain spaces and parentheses, so fields are counted after the
    /// last `)`: utime and stime are fields 14 and 15 overall.
    public static func cpuTicks(stat: String) throws(ProcReadError) -> Int {
        guard let close = stat.lastIndex(of: ")") else { throw .malformed("no ')' in stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state); utime is field 14 → index 11, stime → index 12.
        guard fields.count > 12, let utime = Int(fields[11]), let stime = Int(fields[12]) else {
            throw .malformed("stat has \(fields.count) fields after the name")
        }
        return utime + stime
    }

    /// Time on the CPU from `/proc/PID/task/TID/schedstat`, in nanoseconds: the first of its three
    /// fields (the scheduler's own accounting, far finer than the 10 ms ticks of `stat`).
    public static func runNanoseconds(schedstat: String) throws(ProcReadError) -> Int {
        guard let first = schedstat.split(whereSeparator: { $0 == " " || $0 == "\n" }).first, let value = Int(first) else {
            throw .malformed("schedstat '\(schedstat.prefix(60))'")
        }
        return value
    }
}
