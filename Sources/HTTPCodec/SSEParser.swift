/// A `text/event-stream` parser following WHATWG HTML §9.2.5–9.2.6 (what `EventSource` does).
///
/// One leading UTF-8 BOM is skipped; lines end in CRLF, LF or CR (a CR at the end of one chunk
/// followed by LF in the next is one line end); `:` lines are comments; a field without colon
/// has an empty value; one space after the colon is stripped; data lines join with LF; a blank
/// line dispatches; an empty data buffer dispatches nothing but resets the event type; an `id`
/// containing NUL is ignored; `retry` must be ASCII digits. An event whose buffered bytes exceed
/// `maxEventBytes` is dropped up to its blank line (counted in `discardedEventCount`).
public struct SSEParser: Sendable {
    /// The stream's last event ID string, updated when an event block is dispatched. Setting it
    /// (e.g. to resume after a reconnect) also sets the spec's last event ID buffer.
    public var lastEventID: String {
        get { currentLastEventID }
        set {
            currentLastEventID = newValue
            lastEventIDBuffer = newValue
        }
    }
    /// The reconnection time from the last valid `retry:` field, in milliseconds.
    public var retry: Int?
    /// Bound for one event's buffered line and data bytes. Default 1 MiB.
    public let maxEventBytes: Int
    /// Events dropped because they exceeded `maxEventBytes`.
    public private(set) var discardedEventCount = 0

    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    private var bomMatched = 0
    private var bomDone = false
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var data: [UInt8] = []
    private var eventType: [UInt8] = []
    private var lastEventIDBuffer = ""
    private var currentLastEventID = ""
    private var discarding = false
    private var discardedLineHadBytes = false

    /// A parser; `maxEventBytes` bounds memory per event.
    public init(maxEventBytes: Int = 1 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds bytes; returns the events dispatched by them, in order.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [SSEParsedEvent] {
        var events: [SSEParsedEvent] = []
        for b in bytes {
            if !bomDone {
                if b == SSEParser.bom[bomMatched] {
                    bomMatched += 1
                    if bomMatched == SSEParser.bom.count { bomDone = true }
                    continue
                }
                bomDone = true
                // Not a BOM after all: the bytes matched so far are ordinary content.
                for prefixByte in SSEParser.bom.prefix(bomMatched) { feed(prefixByte, into: &events) }
            }
            feed(b, into: &events)
        }
        return events
    }

    private mutating func feed(_ b: UInt8, into events: inout [SSEParsedEvent]) {
        if lastWasCR, b == 0x0A {
            lastWasCR = false
            return
        }
        lastWasCR = b == 0x0D
        if b == 0x0D || b == 0x0A {
            if let event = endLine() { events.append(event) }
            return
        }
        if discarding {
            discardedLineHadBytes = true
            return
        }
        if line.count + data.count >= maxEventBytes {
            discarding = true
            discardedLineHadBytes = true
            line.removeAll()
            data.removeAll()
            eventType.removeAll()
            return
        }
        line.append(b)
    }

    private mutating func endLine() -> SSEParsedEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if discarding {
            if !discardedLineHadBytes {
                discarding = false
                discardedEventCount += 1
            }
            discardedLineHadBytes = false
            return nil
        }
        if line.isEmpty { return dispatch() }
        if line[0] == 0x3A { return nil }
        if let colon = line.firstIndex(of: 0x3A) {
            var valueStart = colon + 1
            if valueStart < line.count, line[valueStart] == 0x20 { valueStart += 1 }
            process(field: line[..<colon], value: line[valueStart...])
        } else {
            process(field: line[...], value: [])
        }
        return nil
    }

    private mutating func process(field: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
        if field.elementsEqual("data".utf8) {
            data.append(contentsOf: value)
            data.append(0x0A)
        } else if field.elementsEqual("event".utf8) {
            eventType = Array(value)
        } else if field.elementsEqual("id".utf8) {
            if !value.contains(0) { lastEventIDBuffer = String(decoding: value, as: UTF8.self) }
        } else if field.elementsEqual("retry".utf8) {
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let ms = Int(String(decoding: value, as: UTF8.self)) {
                retry = ms
            }
        }
        // Any other field name is ignored (§9.2.6).
    }

    /// §9.2.6 "dispatch the event".
    private mutating func dispatch() -> SSEParsedEvent? {
        currentLastEventID = lastEventIDBuffer
        if data.isEmpty {
            eventType.removeAll()
            return nil
        }
        if data.last == 0x0A { data.removeLast() }
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        let event = SSEParsedEvent(type: type, data: String(decoding: data, as: UTF8.self), lastEventID: currentLastEventID)
        data.removeAll(keepingCapacity: true)
        eventType.removeAll()
        return event
    }
}
