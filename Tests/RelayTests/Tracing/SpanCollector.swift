import Dispatch
import Foundation
import RelayTracing
import Synchronization

/// A `SpanExporter` that keeps every span it is given, for tests that read what the relay traced.
/// `waitFor` blocks until a condition holds over the spans (signalled by each export), or a
/// deadline passes.
final class SpanCollector: SpanExporter {
    private let spans = Mutex<[SpanRecord]>([])
    private let arrived = DispatchSemaphore(value: 0)

    func export(_ record: SpanRecord) {
        spans.withLock { $0.append(record) }
        arrived.signal()
    }

    func forceFlush() {}

    /// Every span so far, in the order they ended.
    var all: [SpanRecord] { spans.withLock { $0 } }

    /// The spans once `condition` holds for them, or what there is after `timeout` seconds.
    @discardableResult
    func waitFor(timeout: Double = 10, _ condition: ([SpanRecord]) -> Bool) -> [SpanRecord] {
        let deadline = DispatchTime.now() + timeout
        while true {
            let current = all
            if condition(current) { return current }
            if arrived.wait(timeout: deadline) == .timedOut { return all }
        }
    }

    /// The spans once `count` of them ended.
    func waitFor(count: Int, timeout: Double = 10) -> [SpanRecord] {
        waitFor(timeout: timeout) { $0.count >= count }
    }
}

extension SpanRecord {
    /// A string attribute's value.
    func string(_ key: String) -> String? {
        if case .string(let value)? = attribute(key) { return value }
        return nil
    }

    /// An integer attribute's value.
    func int(_ key: String) -> Int64? {
        if case .int(let value)? = attribute(key) { return value }
        return nil
    }

    /// Every string anywhere in the span: name, attribute and event values, status message.
    var allText: [String] {
        var texts = [name]
        func collect(_ value: SpanRecord.Value) {
            switch value {
            case .string(let text): texts.append(text)
            case .stringArray(let values): texts += values
            default: break
            }
        }
        attributes.forEach { collect($0.value) }
        for event in events {
            texts.append(event.name)
            event.attributes.forEach { collect($0.value) }
        }
        if case .error(let message?) = status { texts.append(message) }
        return texts
    }
}
