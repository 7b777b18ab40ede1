/// A lean `text/event-stream` splitter for the bench's hot path: LF or CRLF line ends (what the relay
/// and nginx send; a lone CR is not a line end here), `:` comments skipped, `data` lines joined with
/// LF, `event` and `id` kept, a blank line dispatches. The data stays bytes: no String per line.
/// (HTTPCodec's `SSEParser` is the full WHATWG parser; this one trades generality for speed.)
public struct SSEScanner: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        /// The `event` field; `nil` for a plain message.
        public var type: String?
        /// The `id` field of this event block, if any.
        public var id: String?
        /// The data lines joined with LF.
        public var data: [UInt8]

        /// An event from its parts.
        public init(type: String?, id: String?, data: [UInt8]) {
            self.type = type
            self.id = id
            self.data = data
        }
    }

    private var pending: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var type: String?
    private var id: String?
    /// Total bytes fed.
    public private(set) var byteCount = 0

    /// An empty scanner.
    public init() {}

    /// Feeds bytes; calls `emit` for each event they complete, in order.
    public mutating func feed(_ bytes: some Collection<UInt8>, emit: (Event) -> Void) {
        byteCount += bytes.count
        pending.append(contentsOf: bytes)
        var start = 0
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            var end = newline
            if end > start, pending[end - 1] == 0x0D { end -= 1 }
            line(pending[start..<end], emit: emit)
            start = newline + 1
        }
        if start > 0 { pending.removeFirst(start) }
    }

    private mutating func line(_ line: ArraySlice<UInt8>, emit: (Event) -> Void) {
        guard let first = line.first else {
            if hasData {
                emit(Event(type: type, id: id, data: data))
            }
            data.removeAll(keepingCapacity: true)
            hasData = false
            type = nil
            id = nil
            return
        }
        if first == 0x3A { return }  // comment
        let colon = line.firstIndex(of: 0x3A) ?? line.endIndex
        let name = line[line.startIndex..<colon]
        var valueStart = colon == line.endIndex ? colon : colon + 1
        if valueStart < line.endIndex, line[valueStart] == 0x20 { valueStart += 1 }
        let value = line[valueStart...]
        if name.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.elementsEqual("event".utf8) {
            type = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            id = String(decoding: value, as: UTF8.self)
        }
    }
}
