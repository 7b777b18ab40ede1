import Dispatch
import Synchronization
#if canImport(Glibc)
import CLinuxShim
import Glibc
#endif

/// Why a heap tuning setting from the environment was refused.
public enum HeapTuningError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `name` held `value`, which is not in `range`.
    case invalid(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .invalid(let name, let value, let expected): return "\(name)='\(value)': expected \(expected)"
        }
    }
}

/// glibc heap settings for a server process: a bound on malloc arenas (`M_ARENA_MAX`; glibc's default
/// is 8 per core, and freed memory in an arena that no thread uses any more is never handed back),
/// a heap that grows in large steps and is not shrunk under load (`M_TOP_PAD`, `M_TRIM_THRESHOLD`:
/// with glibc's defaults a paced load of 5,000 chunks made about 300 `mprotect` calls as the loop
/// threads' heaps grew and shrank by small steps; with these, none), and `malloc_trim(0)` once the
/// process goes idle after load, so memory comes back after a burst. Address space reserved by the
/// pad is not resident until used, so the idle footprint does not change.
///
/// Read from the environment (`SPARK_RELAY_MALLOC_ARENA_MAX`, `SPARK_RELAY_IDLE_TRIM_SECONDS`), so the
/// command line stays as documented.
public struct HeapTuning: Sendable, Equatable {
    /// Environment variable for `arenaMax`.
    public static let arenaMaxVariable = "SPARK_RELAY_MALLOC_ARENA_MAX"
    /// Environment variable for `idleCheckSeconds`.
    public static let idleCheckVariable = "SPARK_RELAY_IDLE_TRIM_SECONDS"

    /// Most malloc arenas (1...64); `nil` keeps glibc's default.
    public var arenaMax: Int? = 2
    /// Extra bytes a heap grows by each time it must grow (`M_TOP_PAD`); `nil` keeps glibc's default.
    public var topPadBytes: Int? = 4 << 20
    /// Free bytes at a heap's top kept rather than given back on `free` (`M_TRIM_THRESHOLD`; the idle
    /// trimmer gives them back once the load is over); `nil` keeps glibc's adaptive default.
    public var trimThresholdBytes: Int? = 8 << 20
    /// Seconds between idle checks; 0 turns trimming off.
    public var idleCheckSeconds: Double = 5
    /// An interval counts as idle when the process used less than this share of one core in it.
    public var idleCPUFraction: Double = 0.02
    /// An idle interval also trims when this many more bytes lie free in the heap than after the last
    /// trim (memory freed without load, e.g. finished streams dropped when their replay window ends).
    public var freedBytesToTrim: Int = 1 << 20

    /// The defaults.
    public init() {}

    /// The defaults, overridden by the environment: `SPARK_RELAY_MALLOC_ARENA_MAX` = 1...64 or `default`,
    /// `SPARK_RELAY_IDLE_TRIM_SECONDS` = 0 (off) ... 3600.
    public init(environment: [String: String]) throws(HeapTuningError) {
        if let text = environment[Self.arenaMaxVariable] {
            if text == "default" {
                arenaMax = nil
            } else {
                guard let value = Int(text), (1...64).contains(value) else {
                    throw .invalid(name: Self.arenaMaxVariable, value: text, expected: "an integer from 1 to 64, or 'default'")
                }
                arenaMax = value
            }
        }
        if let text = environment[Self.idleCheckVariable] {
            guard let value = Double(text), value.isFinite, (0...3600).contains(value) else {
                throw .invalid(name: Self.idleCheckVariable, value: text, expected: "seconds from 0 (off) to 3600")
            }
            idleCheckSeconds = value
        }
    }

    /// Applies the arena bound, pad and trim threshold (call before threads start allocating) and
    /// starts the idle trimmer; keep the returned trimmer alive for the life of the process.
    public func apply() -> IdleHeapTrimmer? {
        if let arenaMax { _ = mallopt(M_ARENA_MAX, Int32(arenaMax)) }
        if let topPadBytes { _ = mallopt(M_TOP_PAD, Int32(clamping: topPadBytes)) }
        if let trimThresholdBytes { _ = mallopt(M_TRIM_THRESHOLD, Int32(clamping: trimThresholdBytes)) }
        guard idleCheckSeconds > 0 else { return nil }
        return IdleHeapTrimmer(interval: idleCheckSeconds,
                               policy: IdleTrimPolicy(idleCPUFraction: idleCPUFraction, freedBytesToTrim: freedBytesToTrim))
    }
}

/// When to hand freed heap back to the kernel: at the end of the first idle interval after a busy one
/// (memory freed by the load), and at the end of any idle interval in which the heap's free bytes grew
/// by `freedBytesToTrim` since the last trim or their lowest point since (memory freed while idle:
/// finished streams dropped when their replay window ends, which costs too little CPU to count as
/// busy). Pure: the trimmer feeds it CPU time and `mallinfo2` readings.
public struct IdleTrimPolicy: Sendable, Equatable {
    public let idleCPUFraction: Double
    public let freedBytesToTrim: Int
    /// `true` once the process was busy since the last trim (start-up counts as busy).
    public private(set) var busy = true
    /// Free heap bytes after the last trim, or the lowest reading since.
    public private(set) var freeBaseline = Int.max

    public init(idleCPUFraction: Double, freedBytesToTrim: Int) {
        self.idleCPUFraction = idleCPUFraction
        self.freedBytesToTrim = freedBytesToTrim
    }

    /// Whether to trim after an interval of `seconds` in which the process used `cpuSeconds`;
    /// `freeHeapBytes` is read only for idle intervals.
    public mutating func shouldTrim(cpuSeconds: Double, seconds: Double, freeHeapBytes: () -> Int) -> Bool {
        if cpuSeconds >= seconds * idleCPUFraction {
            busy = true
            return false
        }
        let free = freeHeapBytes()
        let limit = freeBaseline > Int.max - freedBytesToTrim ? Int.max : freeBaseline + freedBytesToTrim
        if busy || free >= limit {
            return true
        }
        freeBaseline = min(freeBaseline, free)
        return false
    }

    /// Records a trim; `freeHeapBytes` is the free heap right after it.
    public mutating func trimmed(freeHeapBytes: Int) {
        busy = false
        freeBaseline = freeHeapBytes
    }
}

/// Every `interval` seconds, reads the process's CPU time (`getrusage`) and, when idle, the heap's free
/// bytes (`mallinfo2`), and calls `malloc_trim(0)` (freed heap back to the kernel) when
/// `IdleTrimPolicy` says so. Runs on a utility queue of its own, never on an event loop.
// @unchecked: `lastCPU` and `policy` are touched only by the timer's handler, on its own serial queue, once `init` has resumed it; the trim count is atomic
public final class IdleHeapTrimmer: @unchecked Sendable {
    private let timer: any DispatchSourceTimer
    private var lastCPU: Double
    private var policy: IdleTrimPolicy
    private let trimCount = Atomic<Int>(0)
    /// Trims done so far (read for tests and logs; any thread).
    public var trims: Int { trimCount.load(ordering: .relaxed) }

    init(interval: Double, policy: IdleTrimPolicy) {
        let queue = DispatchQueue(label: "spark-relay.heap-trim", qos: .utility)
        timer = DispatchSource.makeTimerSource(queue: queue)
        lastCPU = Self.processCPUSeconds()
        self.policy = policy
        let nanoseconds = Int(interval * 1_000_000_000)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds), leeway: .milliseconds(250))
        // Weak, not unowned: `deinit` (any thread) cancels the timer but does not wait, and a handler
        // firing meanwhile must find the trimmer gone instead of trapping on a deallocating one.
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let cpu = Self.processCPUSeconds()
            let used = cpu - lastCPU
            lastCPU = cpu
            if self.policy.shouldTrim(cpuSeconds: used, seconds: interval, freeHeapBytes: Self.freeHeapBytes) {
                _ = malloc_trim(0)
                self.policy.trimmed(freeHeapBytes: Self.freeHeapBytes())
                _ = trimCount.add(1, ordering: .relaxed)
            }
        }
        timer.resume()
    }

    deinit {
        timer.cancel()
    }

    /// Bytes in free chunks of every malloc arena (`mallinfo2().fordblks`).
    static func freeHeapBytes() -> Int {
        Int(mallinfo2().fordblks)
    }

    /// User plus system CPU time of this process, seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
