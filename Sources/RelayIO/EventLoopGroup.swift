import CLinuxShim
import Glibc
import Synchronization

/// A fixed set of event loops (one per core by default); new connections are spread round-robin.
public final class EventLoopGroup: Sendable {
    /// The loops, indexed from 0.
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)

    /// `count` loops; `0` means one per active processor.
    public init(count: Int = 0, label: String = "spark-relay.loop") {
        let resolved = count > 0 ? count : max(1, ProcessorCount.available)
        self.loops = (0..<resolved).map { EventLoop(index: $0, label: label) }
    }

    /// The next loop in round-robin order.
    public func next() -> EventLoop {
        let index = nextIndex.add(1, ordering: .relaxed).oldValue
        return loops[index % loops.count]
    }
}

/// How many CPUs the process may use: the affinity mask (so `taskset` and cpusets count), else the online count.
enum ProcessorCount {
    static var available: Int {
        let allowed = Int(spark_affinity_cpu_count())
        return allowed > 0 ? allowed : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
