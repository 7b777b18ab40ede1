#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes server-sent events as `text/event-stream` bytes (WHATWG HTML §9.2.5).
///
/// Field order: `event`, `id`, `retry`, then one `data:` line per line of data, then a blank
/// line. Every field is written as `name: value\n` (one space after the colon, which the
/// parser strips, so values starting with a space survive).
public enum SSEEncoder {
    /// Encodes one event. Data is split on CRLF, CR and LF, so any text round-trips (line
    /// breaks arrive as LF). Throws when `id` has CR/LF/NUL, `event` has CR/LF, or `retry` < 0.
    public static func encode(_ event: SSEEvent) throws(SSEEncodingError) -> [UInt8] {
        if let id = event.id, id.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
            throw SSEEncodingError(.invalidID)
        }
        if let type = event.event, type.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            throw SSEEncodingError(.invalidEventType)
        }
        if let retry = event.retry, retry < 0 {
            throw SSEEncodingError(.invalidRetry)
        }
        var out: [UInt8] = []
        out.reserveCapacity(event.data.utf8.count + 64)
        appendHeaderFields(&out, id: event.id, event: event.event)
        if let retry = event.retry { appendField(&out, "retry", String(retry).utf8) }
        appendDataLines(&out, event.data.utf8)
        out.append(0x0A)
        return out
    }

    /// Fast path for a payload already known to be one line (e.g. serialized JSON). If it does
    /// contain CR or LF it is split like `encode`. CR, LF (and NUL in `id`) are removed from
    /// `id` and `event` rather than thrown, so this never fails.
    public static func encodeData(json: some Collection<UInt8>, id: String?, event: String?) -> [UInt8] {
        if let fast = json.withContiguousStorageIfAvailable({ encodeData(contiguous: $0, id: id, event: event) }) {
            return fast
        }
        return Array(json).withUnsafeBufferPointer { encodeData(contiguous: $0, id: id, event: event) }
    }

    /// `encodeData` for contiguous bytes: one exactly sized buffer, `memchr` for line breaks.
    private static func encodeData(contiguous json: UnsafeBufferPointer<UInt8>, id: String?, event: String?) -> [UInt8] {
        let id = id.map { strip($0, nul: true) }
        let event = event.map { strip($0, nul: false) }
        guard !containsCRorLF(json) else {
            var out: [UInt8] = []
            out.reserveCapacity(json.count + 64)
            appendHeaderFields(&out, id: id, event: event)
            appendDataLines(&out, json)
            out.append(0x0A)
            return out
        }
        // "event: " + e + "\n" + "id: " + i + "\n" + "data: " + json + "\n\n"
        let eventCount = event.map { $0.utf8.count + 8 } ?? 0
        let idCount = id.map { $0.utf8.count + 5 } ?? 0
        let total = eventCount + idCount + json.count + 8
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            var at = 0
            func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                guard let base = bytes.baseAddress, bytes.count > 0 else { return }
                (buffer.baseAddress! + at).initialize(from: base, count: bytes.count)
                at += bytes.count
            }
            func putLiteral(_ name: StaticString) {
                put(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            }
            func putString(_ text: String) {
                var text = text
                text.withUTF8 { put($0) }
            }
            if let event { putLiteral("event: "); putString(event); putLiteral("\n") }
            if let id { putLiteral("id: "); putString(id); putLiteral("\n") }
            putLiteral("data: ")
            put(json)
            putLiteral("\n\n")
            initialized = at
        }
    }

    /// `true` when `bytes` holds CR or LF (`memchr`, so compact JSON costs two vectorized scans).
    private static func containsCRorLF(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return false }
        return memchr(base, 0x0A, bytes.count) != nil || memchr(base, 0x0D, bytes.count) != nil
    }

    /// A comment line plus blank line, e.g. `: ping\n\n` (ignored by clients; keeps proxies and
    /// idle timers alive). CR and LF in `text` are removed, so the result is always one line.
    public static func comment(_ text: String) -> [UInt8] {
        var out: [UInt8] = [0x3A]
        let cleaned = strip(text, nul: false)
        if !cleaned.isEmpty {
            out.append(0x20)
            out.append(contentsOf: cleaned.utf8)
        }
        out.append(contentsOf: [0x0A, 0x0A])
        return out
    }

    /// `retry: n\n\n`: sets the client's reconnection delay. Negative values are clamped to 0.
    public static func retry(milliseconds: Int) -> [UInt8] {
        Array("retry: \(max(0, milliseconds))\n\n".utf8)
    }

    private static func appendHeaderFields(_ out: inout [UInt8], id: String?, event: String?) {
        if let event { appendField(&out, "event", event.utf8) }
        if let id { appendField(&out, "id", id.utf8) }
    }

    private static func appendField(_ out: inout [UInt8], _ name: StaticString, _ value: some Collection<UInt8>) {
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(0x3A)
        out.append(0x20)
        out.append(contentsOf: value)
        out.append(0x0A)
    }

    /// One `data:` line per line of `bytes`, splitting on CRLF, CR or LF (§9.2.5 line ends).
    private static func appendDataLines(_ out: inout [UInt8], _ bytes: some Collection<UInt8>) {
        var line: [UInt8] = []
        var previousWasCR = false
        for b in bytes {
            if b == 0x0A, previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = b == 0x0D
            if b == 0x0D || b == 0x0A {
                appendField(&out, "data", line)
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(b)
            }
        }
        appendField(&out, "data", line)
    }

    private static func strip(_ text: String, nul: Bool) -> String {
        let bytes = text.utf8
        guard bytes.contains(where: { $0 == 0x0D || $0 == 0x0A || (nul && $0 == 0) }) else { return text }
        return String(decoding: bytes.filter { !($0 == 0x0D || $0 == 0x0A || (nul && $0 == 0)) }, as: UTF8.self)
    }
}
