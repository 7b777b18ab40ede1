/// A `text/event-stream` decoder for a client reading an upstream's stream on its hot path: the same
/// WHATWG HTML §9.2.5–9.2.6 rules as `SSEParser` (one leading BOM skipped; CRLF, LF or CR line ends,
/// also split across reads; `:` comments; one space after the colon stripped; data lines joined
/// with LF; a blank line dispatches; `id` without NUL; `retry` of ASCII digits; an event over
/// `maxEventBytes` dropped up to its blank line), but event data stays bytes and whole lines are
/// found by scanning for the line end rather than handled byte by byte. A line that arrives whole in
/// one read is never copied before its field is parsed.
///
/// The differential fuzzer (`FuzzSSE`) holds it to `SSEParser` event for event on every input.
public struct SSEEventDecoder: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        /// The `event` field's value, or empty for the default type `message`.
        public var type: [UInt8]
        /// The data lines joined with LF.
        public var data: [UInt8]
        /// The last event ID in effect when the event was dispatched.
        public var lastEventID: [UInt8]

        /// `type` as `EventSource` names it (`message` when none was given).
        public var typeName: String { type.isEmpty ? "message" : String(decoding: type, as: UTF8.self) }
    }

    /// Bound for one event's buffered line and data bytes. Default 1 MiB.
    public let maxEventBytes: Int
    /// Events dropped because they exceeded `maxEventBytes`.
    public private(set) var discardedEventCount = 0
    /// The reconnection time from the last valid `retry:` field, in milliseconds.
    public private(set) var retry: Int?

    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    /// Bytes of a line whose end has not arrived yet.
    private var partial: [UInt8] = []
    /// The previous read ended in CR: an LF first in the next one ends nothing.
    private var lastWasCR = false
    /// Bytes seen at the start of the stream that may still be a BOM (`nil` once decided).
    private var bomPrefix: [UInt8]? = []
    private var data: [UInt8] = []
    private var eventType: [UInt8] = []
    private var lastEventIDBuffer: [UInt8] = []
    private var lastEventID: [UInt8] = []
    private var discarding = false
    private var discardedLineHadBytes = false

    /// A decoder; `maxEventBytes` bounds memory per event.
    public init(maxEventBytes: Int = 1 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds bytes; appends the events they dispatch to `events`, in order.
    public mutating func append(_ bytes: [UInt8], into events: inout [Event]) {
        var input = bytes[...]
        if var prefix = bomPrefix {
            // The first bytes of the stream: skip one BOM, which may arrive split.
            while let byte = input.first, prefix.count < Self.bom.count, byte == Self.bom[prefix.count] {
                prefix.append(byte)
                input = input.dropFirst()
            }
            if prefix.count == Self.bom.count {
                bomPrefix = nil
            } else if input.isEmpty {
                bomPrefix = prefix
                return
            } else {
                // Not a BOM after all: what matched so far is ordinary content.
                bomPrefix = nil
                feed(prefix[...], into: &events)
            }
        }
        feed(input, into: &events)
    }

    /// Splits `input` into lines; whole ones are parsed in place.
    private mutating func feed(_ input: ArraySlice<UInt8>, into events: inout [Event]) {
        var start = input.startIndex
        let end = input.endIndex
        if lastWasCR, start < end {
            lastWasCR = false
            if input[start] == 0x0A { start += 1 }
        }
        while start < end {
            let lineEnd = Self.lineEnd(in: input, from: start)
            guard lineEnd < end else {
                append(partialLine: input[start..<end])
                return
            }
            if partial.isEmpty {
                endLine(input[start..<lineEnd], into: &events)
            } else {
                append(partialLine: input[start..<lineEnd])
                let line = partial
                partial.removeAll(keepingCapacity: true)
                endLine(line[...], into: &events)
            }
            var next = lineEnd + 1
            if input[lineEnd] == 0x0D {
                if next < end {
                    if input[next] == 0x0A { next += 1 }
                } else {
                    lastWasCR = true
                }
            }
            start = next
        }
    }

    /// The index of the first CR or LF at or after `start`, or `input.endIndex`.
    private static func lineEnd(in input: ArraySlice<UInt8>, from start: Int) -> Int {
        input.withUnsafeBufferPointer { buffer in
            // `buffer` starts at `input.startIndex`.
            let base = input.startIndex
            var offset = start - base
            let count = buffer.count
            while offset < count {
                let byte = buffer[offset]
                if byte == 0x0A || byte == 0x0D { break }
                offset += 1
            }
            return base + offset
        }
    }

    /// Keeps the start of a line, up to the event bound (past it the event is being discarded).
    private mutating func append(partialLine bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty else { return }
        if discarding {
            discardedLineHadBytes = true
            return
        }
        if partial.count + bytes.count + data.count > maxEventBytes {
            startDiscarding()
            return
        }
        partial.append(contentsOf: bytes)
    }

    private mutating func startDiscarding() {
        discarding = true
        discardedLineHadBytes = true
        partial.removeAll()
        data.removeAll()
        eventType.removeAll()
    }

    /// One complete line (without its end).
    private mutating func endLine(_ line: ArraySlice<UInt8>, into events: inout [Event]) {
        if !discarding, line.count + data.count > maxEventBytes {
            startDiscarding()
        }
        if discarding {
            if !line.isEmpty { discardedLineHadBytes = true }
            if !discardedLineHadBytes {
                discarding = false
                discardedEventCount += 1
            }
            discardedLineHadBytes = false
            return
        }
        guard let first = line.first else {
            dispatch(into: &events)
            return
        }
        if first == 0x3A { return }
        if let colon = line.firstIndex(of: 0x3A) {
            var valueStart = colon + 1
            if valueStart < line.endIndex, line[valueStart] == 0x20 { valueStart += 1 }
            process(field: line[..<colon], value: line[valueStart...])
        } else {
            process(field: line, value: [])
        }
    }

    private static let dataField: [UInt8] = Array("data".utf8)
    private static let eventField: [UInt8] = Array("event".utf8)
    private static let idField: [UInt8] = Array("id".utf8)
    private static let retryField: [UInt8] = Array("retry".utf8)

    private mutating func process(field: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
        if field.elementsEqual(Self.dataField) {
            data.append(contentsOf: value)
            data.append(0x0A)
        } else if field.elementsEqual(Self.eventField) {
            eventType = Array(value)
        } else if field.elementsEqual(Self.idField) {
            if !value.contains(0) { lastEventIDBuffer = Array(value) }
        } else if field.elementsEqual(Self.retryField) {
            guard !value.isEmpty else { return }
            var milliseconds = 0
            for digit in value {
                guard digit >= 0x30 && digit <= 0x39 else { return }
                let (shifted, overflow) = milliseconds.multipliedReportingOverflow(by: 10)
                let (sum, carry) = shifted.addingReportingOverflow(Int(digit - 0x30))
                guard !overflow, !carry else { return }
                milliseconds = sum
            }
            retry = milliseconds
        }
        // Any other field name is ignored (§9.2.6).
    }

    /// §9.2.6 "dispatch the event".
    private mutating func dispatch(into events: inout [Event]) {
        lastEventID = lastEventIDBuffer
        if data.isEmpty {
            eventType.removeAll()
            return
        }
        data.removeLast()  // the LF after the last data line
        events.append(Event(type: eventType, data: data, lastEventID: lastEventID))
        data.removeAll(keepingCapacity: true)
        eventType.removeAll()
    }
}
