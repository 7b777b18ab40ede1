/// Bytes appended by the caller and not yet consumed, plus an incremental CRLF line scanner.
///
/// Offsets kept across calls (`scanned`) are relative to `readIndex`, so compaction never
/// invalidates them. Every line search is bounded by a window, which makes the parse result a
/// function of the bytes alone, never of how they were split into `append` calls.
struct HTTPInputBuffer: Sendable {
    private(set) var storage: [UInt8] = []
    private(set) var readIndex = 0
    /// Bytes after `readIndex` already searched for LF without success.
    private var scanned = 0

    var readableCount: Int { storage.count - readIndex }
    var readableBytes: ArraySlice<UInt8> { storage[readIndex...] }

    mutating func append<S: Sequence<UInt8>>(_ bytes: S) {
        compact()
        storage.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        storage.append(contentsOf: bytes)
    }

    /// Drops consumed bytes: all of them when everything was read, else once they dominate.
    private mutating func compact() {
        if readIndex == 0 { return }
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 4096, readIndex * 2 >= storage.count {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    func byte(at offset: Int) -> UInt8 { storage[readIndex + offset] }

    /// Consumes `count` bytes and returns them.
    mutating func read(_ count: Int) -> [UInt8] {
        let bytes = Array(storage[readIndex..<readIndex + count])
        consume(count)
        return bytes
    }

    mutating func consume(_ count: Int) {
        readIndex += count
        scanned = 0
    }

    mutating func consumeAll() -> [UInt8] { read(readableCount) }

    enum LineResult {
        /// A complete line; the content excludes the CRLF, which `consumeLine` skips.
        case line(ArraySlice<UInt8>)
        case needMore
        /// No line end within `maxContent` bytes.
        case tooLong
    }

    /// Finds the next CRLF-terminated line whose content is at most `maxContent` bytes.
    /// RFC 9112 §2.2: we accept CRLF only; a bare LF or a CR not followed by LF is rejected.
    mutating func nextLine(maxContent: Int) throws(HTTPParserError) -> LineResult {
        let window = max(0, maxContent) + 2
        let limit = min(readableCount, window)
        var i = scanned
        while i < limit {
            if storage[readIndex + i] == HTTPSyntax.lf { break }
            i += 1
        }
        guard i < limit else {
            scanned = limit
            return limit >= window ? .tooLong : .needMore
        }
        let start = readIndex
        guard i > 0, storage[start + i - 1] == HTTPSyntax.cr else {
            throw HTTPParserError(.bareLineFeed, "line ends with a bare LF; only CRLF is accepted (RFC 9112 §2.2)")
        }
        let content = storage[start..<(start + i - 1)]
        if content.contains(HTTPSyntax.cr) {
            throw HTTPParserError(.bareCarriageReturn, "bare CR inside a line (RFC 9112 §2.2)")
        }
        return .line(content)
    }

    /// Skips a line returned by `nextLine` and its CRLF.
    mutating func consumeLine(_ content: ArraySlice<UInt8>) {
        consume(content.endIndex + 2 - readIndex)
    }
}
