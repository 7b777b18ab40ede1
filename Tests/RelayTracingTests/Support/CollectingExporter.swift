import RelayTracing
import Synchronization

/// A `SpanExporter` that keeps every record it is given, for the tracer's tests.
final class CollectingExporter: SpanExporter {
    private let storage = Mutex<[SpanRecord]>([])
    private let flushes = Mutex(0)

    /// The records exported so far, in the order the spans ended.
    var records: [SpanRecord] { storage.withLock { $0 } }
    /// How many times `forceFlush` was called.
    var flushCount: Int { flushes.withLock { $0 } }

    func export(_ record: SpanRecord) {
        storage.withLock { $0.append(record) }
    }

    func forceFlush() {
        flushes.withLock { $0 += 1 }
    }
}
