#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Glibc

/// The process's open-file limit (`RLIMIT_NOFILE`). Every connection and every upstream socket is a
/// descriptor, and the usual soft limit (1,024) is far below what the relay can serve, so at start
/// the soft limit is raised to the hard one, as Go's runtime and nginx's `worker_rlimit_nofile` do.
public struct FileDescriptorLimit: Sendable, Equatable {
    /// The soft limit before `raiseToHardLimit()`.
    public var previousSoft: UInt64
    /// The soft limit in effect now: what the process can open.
    public var soft: UInt64
    /// The hard limit (the ceiling an unprivileged process may raise the soft limit to).
    public var hard: UInt64
    /// Why raising failed (for example `EPERM` under a seccomp filter), when it did.
    public var raiseError: IOError?

    public init(previousSoft: UInt64, soft: UInt64, hard: UInt64, raiseError: IOError? = nil) {
        self.previousSoft = previousSoft
        self.soft = soft
        self.hard = hard
        self.raiseError = raiseError
    }

    /// The current limits, without changing them.
    public static func current() -> FileDescriptorLimit? {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return nil }
        return FileDescriptorLimit(previousSoft: UInt64(limit.rlim_cur), soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit (an unlimited hard limit is capped at the kernel's
    /// `fs/nr_open`, which is what `setrlimit` accepts). Never throws: a failure is recorded in
    /// `raiseError` and the old limit stays in effect.
    public static func raiseToHardLimit() -> FileDescriptorLimit? {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return nil }
        let previous = UInt64(limit.rlim_cur)
        var target = limit.rlim_max
        if target == rlim_t.max { target = rlim_t(Self.kernelMaximum() ?? 1_048_576) }
        guard target > limit.rlim_cur else {
            return FileDescriptorLimit(previousSoft: previous, soft: previous, hard: UInt64(limit.rlim_max))
        }
        var raised = limit
        raised.rlim_cur = target
        if setrlimit(Self.resource, &raised) != 0 {
            return FileDescriptorLimit(previousSoft: previous, soft: previous, hard: UInt64(limit.rlim_max),
                                       raiseError: IOError(errnoCode: errno, operation: "setrlimit(RLIMIT_NOFILE)"))
        }
        return FileDescriptorLimit(previousSoft: previous, soft: UInt64(target), hard: UInt64(limit.rlim_max))
    }

    #if canImport(Glibc)
    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #else
    private static var resource: Int32 { RLIMIT_NOFILE }
    #endif

    /// `/proc/sys/fs/nr_open`: the most descriptors a process may have.
    private static func kernelMaximum() -> UInt64? {
        guard let text = FileSystem.readText(path: "/proc/sys/fs/nr_open", limit: 64) else { return nil }
        return UInt64(text.filter { !$0.isWhitespace })
    }
}
