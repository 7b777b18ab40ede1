/// A resumable, sans-I/O RESP3 decoder: append bytes as they arrive, then call `next()` until it
/// returns `nil`.
///
/// Parsing is incremental: a header line or blob body is consumed once it is complete and partial
/// aggregates are kept on an explicit stack, so a large reply arriving in many reads is scanned
/// once (no re-parse from the reply's start). Every `RESPDecoderLimits` bound is checked as soon
/// as the bytes that carry it are buffered. After an error the decoder is poisoned: `next()`
/// throws the same error again.
///
/// Attributes (`|`) are dropped in `.skip` mode (the default: Redis sends none today) or wrapped
/// around the value they precede as `.attributed` in `.attach` mode. Push frames (`>`) are
/// returned like any top-level value; telling them from replies is the caller's job.
public struct RESPDecoder: Sendable {
    /// What to do with attribute frames.
    public enum AttributeHandling: Sendable, Equatable {
        /// Read and discard them; `next()` returns the bare value.
        case skip
        /// Return them wrapped around the value they describe (`.attributed(pairs, value)`).
        case attach
    }

    /// The bounds enforced.
    public let limits: RESPDecoderLimits
    /// Whether attributes are dropped or returned.
    public let attributeHandling: AttributeHandling

    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Content bytes of the current, incomplete line already scanned for CR (so a long line that
    /// arrives in pieces is scanned once).
    private var scanOffset = 0
    private var stack: [Aggregate] = []
    private var pendingBlob: PendingBlob?
    /// Attributes read at the top level, waiting for the value they describe.
    private var topAttributes: [[RESPPair]] = []
    /// Wire bytes consumed by the top-level reply in progress.
    private var replyBytes = 0
    private var failure: RESPDecodingError?

    /// Dead prefix length above which `append` compacts the buffer (if it is also half the buffer).
    private static let compactionThreshold = 4096

    /// Creates a decoder enforcing `limits`.
    public init(limits: RESPDecoderLimits = RESPDecoderLimits(), attributes: AttributeHandling = .skip) {
        self.limits = limits
        self.attributeHandling = attributes
    }

    /// Bytes appended and not yet consumed into a returned value or a pending aggregate.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// `true` when no reply is partly decoded and no bytes are buffered.
    public var isIdle: Bool {
        bufferedByteCount == 0 && stack.isEmpty && pendingBlob == nil && topAttributes.isEmpty && replyBytes == 0
    }

    /// Appends received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes straight from a read buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete top-level value, `nil` if more bytes are needed. Throws on the first
    /// violation, and again on every later call.
    public mutating func next() throws(RESPDecodingError) -> RESPValue? {
        if let failure { throw failure }
        do throws(RESPDecodingError) {
            return try decodeNext()
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: - State

    private struct Aggregate {
        enum Kind { case array, set, push, map, attribute }
        let kind: Kind
        /// Values still expected (twice the pair count for maps and attributes).
        var remaining: Int
        var elements: [RESPValue]
        /// Attributes read inside this aggregate, waiting for the element they describe.
        var attributes: [[RESPPair]] = []
    }

    private struct PendingBlob {
        enum Kind { case string, error, verbatim }
        let kind: Kind
        let length: Int
    }

    /// What one step of decoding produced.
    private enum Step {
        /// A complete value to place into its parent (or return).
        case value(RESPValue)
        /// An aggregate was opened or an attribute recorded; keep going.
        case progress
    }

    private mutating func compactIfWorthwhile() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= Self.compactionThreshold, readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    private mutating func consume(_ count: Int) {
        readIndex += count
        replyBytes += count
        scanOffset = 0
    }

    // MARK: - Decoding

    private mutating func decodeNext() throws(RESPDecodingError) -> RESPValue? {
        steps: while true {
            guard let step = try nextStep() else { return nil }
            guard case .value(var value) = step else { continue }
            // Place the value into its parent, closing every aggregate it completes.
            while true {
                guard !stack.isEmpty else {
                    value = Self.wrap(value, in: &topAttributes)
                    replyBytes = 0
                    return value
                }
                let top = stack.count - 1
                value = Self.wrap(value, in: &stack[top].attributes)
                stack[top].elements.append(value)
                stack[top].remaining -= 1
                guard stack[top].remaining == 0 else { continue steps }
                let done = stack.removeLast()
                switch done.kind {
                case .array: value = .array(done.elements)
                case .set: value = .set(done.elements)
                case .push: value = .push(done.elements)
                case .map: value = .map(Self.pairs(done.elements))
                case .attribute:
                    recordAttribute(Self.pairs(done.elements))
                    continue steps
                }
            }
        }
    }

    /// Wraps `value` in the attributes read before it, outermost first.
    private static func wrap(_ value: RESPValue, in attributes: inout [[RESPPair]]) -> RESPValue {
        guard !attributes.isEmpty else { return value }
        var wrapped = value
        for pairs in attributes.reversed() { wrapped = .attributed(pairs, wrapped) }
        attributes.removeAll()
        return wrapped
    }

    private static func pairs(_ elements: [RESPValue]) -> [RESPPair] {
        stride(from: 0, to: elements.count, by: 2).map { RESPPair(elements[$0], elements[$0 + 1]) }
    }

    private mutating func recordAttribute(_ pairs: [RESPPair]) {
        guard attributeHandling == .attach else { return }
        if stack.isEmpty {
            topAttributes.append(pairs)
        } else {
            stack[stack.count - 1].attributes.append(pairs)
        }
    }

    private mutating func nextStep() throws(RESPDecodingError) -> Step? {
        if let blob = pendingBlob {
            return try finishBlob(blob)
        }
        guard readIndex < buffer.count else { return nil }
        let type = buffer[readIndex]
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"),
             UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: "!"),
             UInt8(ascii: "="), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: "|"), UInt8(ascii: ">"):
            break
        case UInt8(ascii: ";"), UInt8(ascii: "."):
            throw RESPDecodingError(.streamedTypeUnsupported, "streamed-type chunk or end marker outside a streamed value")
        default:
            throw RESPDecodingError(.unknownType, "unknown type byte 0x\(String(type, radix: 16))")
        }
        guard let cr = try scanLine() else { return nil }
        let lineBytes = cr + 2 - readIndex
        guard lineBytes <= limits.maxReplyBytes - replyBytes else {
            throw RESPDecodingError(.replyTooLarge, "reply exceeds \(limits.maxReplyBytes) bytes")
        }
        let content = buffer[(readIndex + 1)..<cr]
        let step = try decodeLine(type: type, content: content, lineBytes: lineBytes)
        consume(lineBytes)
        return step
    }

    /// The index of the CR ending the current line, `nil` if it has not arrived.
    private mutating func scanLine() throws(RESPDecodingError) -> Int? {
        var index = readIndex + 1 + scanOffset
        while index < buffer.count {
            let byte = buffer[index]
            if byte == RESPSyntax.cr {
                guard index + 1 < buffer.count else { break }
                guard buffer[index + 1] == RESPSyntax.lf else {
                    throw RESPDecodingError(.invalidLineEnding, "CR not followed by LF in a line")
                }
                return index
            }
            if byte == RESPSyntax.lf {
                throw RESPDecodingError(.invalidLineEnding, "LF without CR in a line")
            }
            if index - readIndex > limits.maxLineLength {
                throw RESPDecodingError(.lineTooLong, "line longer than \(limits.maxLineLength) bytes")
            }
            index += 1
        }
        scanOffset = index - readIndex - 1
        return nil
    }

    private mutating func decodeLine(type: UInt8, content: ArraySlice<UInt8>, lineBytes: Int) throws(RESPDecodingError) -> Step {
        switch type {
        case UInt8(ascii: "+"):
            return .value(.simpleString(String(decoding: content, as: UTF8.self)))
        case UInt8(ascii: "-"):
            return .value(.error(String(decoding: content, as: UTF8.self)))
        case UInt8(ascii: ":"):
            return .value(.integer(try Self.parseInteger(content)))
        case UInt8(ascii: "_"):
            guard content.isEmpty else { throw RESPDecodingError(.invalidNull, "null with content after '_'") }
            return .value(.null)
        case UInt8(ascii: "#"):
            guard content.count == 1, content.first == UInt8(ascii: "t") || content.first == UInt8(ascii: "f") else {
                throw RESPDecodingError(.invalidBoolean, "boolean is neither #t nor #f")
            }
            return .value(.boolean(content.first == UInt8(ascii: "t")))
        case UInt8(ascii: ","):
            guard let number = RESPSyntax.parseDouble(content) else {
                throw RESPDecodingError(.invalidDouble, "double does not fit the RESP3 grammar")
            }
            return .value(.double(number))
        case UInt8(ascii: "("):
            guard RESPSyntax.isBigNumber(content) else {
                throw RESPDecodingError(.invalidBigNumber, "big number is not an optional sign and digits")
            }
            return .value(.bigNumber(String(decoding: content, as: UTF8.self)))
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            return try openBlob(type: type, content: content, lineBytes: lineBytes)
        default:
            return try openAggregate(type: type, content: content)
        }
    }

    private static func parseInteger(_ content: ArraySlice<UInt8>) throws(RESPDecodingError) -> Int64 {
        var digits = content
        var negative = false
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy(RESPSyntax.isDigit) else {
            throw RESPDecodingError(.invalidInteger, "number is not an optional sign and digits")
        }
        // Accumulate negatively so Int64.min fits.
        var value: Int64 = 0
        for digit in digits {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw RESPDecodingError(.integerOutOfRange, "number outside the signed 64-bit range") }
            value = next
        }
        if negative { return value }
        guard value != .min else { throw RESPDecodingError(.integerOutOfRange, "number outside the signed 64-bit range") }
        return -value
    }

    /// A length or count: decimal digits up to `maximum`; `-1` (a RESP2 null) when `allowNull`.
    private static func parseLength(_ content: ArraySlice<UInt8>, allowNull: Bool, maximum: Int,
                                    tooLarge: RESPDecodingError.Kind, what: String) throws(RESPDecodingError) -> Int? {
        if content.elementsEqual("?".utf8) {
            throw RESPDecodingError(.streamedTypeUnsupported, "streamed \(what) ('?' length) is not supported")
        }
        if allowNull, content.elementsEqual("-1".utf8) { return nil }
        guard !content.isEmpty else { throw RESPDecodingError(.invalidLength, "empty \(what) length") }
        var value = 0
        for byte in content {
            guard RESPSyntax.isDigit(byte) else {
                throw RESPDecodingError(.invalidLength, "\(what) length is not decimal digits")
            }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            value = overflow ? Int.max : times10 &+ Int(byte - UInt8(ascii: "0"))
            guard !overflow, value >= 0, value <= maximum else {
                throw RESPDecodingError(tooLarge, "\(what) length exceeds \(maximum)")
            }
        }
        return value
    }

    private mutating func openBlob(type: UInt8, content: ArraySlice<UInt8>, lineBytes: Int) throws(RESPDecodingError) -> Step {
        let kind: PendingBlob.Kind = switch type {
        case UInt8(ascii: "$"): .string
        case UInt8(ascii: "!"): .error
        default: .verbatim
        }
        let what = kind == .string ? "blob string" : kind == .error ? "blob error" : "verbatim string"
        guard let length = try Self.parseLength(content, allowNull: kind == .string, maximum: limits.maxBulkLength,
                                                tooLarge: .bulkTooLong, what: what)
        else { return .value(.null) }
        if kind == .verbatim, length < 4 {
            throw RESPDecodingError(.invalidVerbatim, "verbatim string shorter than its 4-byte format prefix")
        }
        guard length + 2 <= limits.maxReplyBytes - replyBytes - lineBytes else {
            throw RESPDecodingError(.replyTooLarge, "reply exceeds \(limits.maxReplyBytes) bytes")
        }
        pendingBlob = PendingBlob(kind: kind, length: length)
        return .progress
    }

    private mutating func finishBlob(_ blob: PendingBlob) throws(RESPDecodingError) -> Step? {
        guard buffer.count - readIndex >= blob.length + 2 else { return nil }
        let end = readIndex + blob.length
        guard buffer[end] == RESPSyntax.cr, buffer[end + 1] == RESPSyntax.lf else {
            throw RESPDecodingError(.invalidLineEnding, "blob body not followed by CRLF")
        }
        let body = buffer[readIndex..<end]
        let value: RESPValue
        switch blob.kind {
        case .string:
            value = .bulkString(Array(body))
        case .error:
            value = .bulkError(String(decoding: body, as: UTF8.self))
        case .verbatim:
            let format = body.prefix(3)
            guard RESPSyntax.isVerbatimFormat(format), body[body.startIndex + 3] == UInt8(ascii: ":") else {
                throw RESPDecodingError(.invalidVerbatim, "verbatim string without a three-byte format and ':'")
            }
            value = .verbatimString(format: String(decoding: format, as: UTF8.self), text: Array(body.dropFirst(4)))
        }
        pendingBlob = nil
        consume(blob.length + 2)
        return .value(value)
    }

    private mutating func openAggregate(type: UInt8, content: ArraySlice<UInt8>) throws(RESPDecodingError) -> Step {
        let kind: Aggregate.Kind
        let what: String
        switch type {
        case UInt8(ascii: "*"): (kind, what) = (.array, "array")
        case UInt8(ascii: "~"): (kind, what) = (.set, "set")
        case UInt8(ascii: ">"): (kind, what) = (.push, "push")
        case UInt8(ascii: "%"): (kind, what) = (.map, "map")
        default: (kind, what) = (.attribute, "attribute")
        }
        guard let count = try Self.parseLength(content, allowNull: kind == .array, maximum: limits.maxAggregateCount,
                                               tooLarge: .aggregateTooLarge, what: what)
        else { return .value(.null) }
        if kind == .push, !stack.isEmpty {
            throw RESPDecodingError(.nestedPush, "push inside another value")
        }
        guard stack.count < limits.maxDepth else {
            throw RESPDecodingError(.nestingTooDeep, "values nested deeper than \(limits.maxDepth)")
        }
        // count <= maxAggregateCount; doubling it for pairs cannot overflow unless the limit is absurd.
        let (doubled, overflow) = count.multipliedReportingOverflow(by: 2)
        guard !overflow else { throw RESPDecodingError(.aggregateTooLarge, "\(what) length exceeds \(limits.maxAggregateCount)") }
        let expected = kind == .map || kind == .attribute ? doubled : count
        guard expected > 0 else {
            switch kind {
            case .array: return .value(.array([]))
            case .set: return .value(.set([]))
            case .push: return .value(.push([]))
            case .map: return .value(.map([]))
            case .attribute:
                recordAttribute([])
                return .progress
            }
        }
        // Reserve modestly: the count is the peer's claim, not yet backed by bytes.
        var elements: [RESPValue] = []
        elements.reserveCapacity(min(expected, 64))
        stack.append(Aggregate(kind: kind, remaining: expected, elements: elements))
        return .progress
    }
}
