import Synchronization

/// A fixed set of event loops (one per core by default); new connections are spread round-robin.
public final class EventLoopGroup: Sendable {
    /// The loops, indexed from 0.
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)

    /// `count` loops; `0` means one per active processor.
    public init(count: Int = 0, label: String = "spark-relay.loop") {
        let resolved = count > 0 ? count : max(1, ProcessInfoShim.activeProcessorCount)
        self.loops = (0..<resolved).map { EventLoop(index: $0, label: label) }
    }

    /// The next loop in round-robin order.
    public func next() -> EventLoop {
        let index = nextIndex.add(1, ordering: .relaxed).oldValue
        return loops[index % loops.count]
    }
}

import Foundation

enum ProcessInfoShim {
    static var activeProcessorCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
