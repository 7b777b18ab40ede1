/// A `traceparent` header value (W3C Trace Context level 1, section 3.2):
/// `version-traceid-parentid-flags`, all lowercase hex.
///
/// Parsing follows the spec's rules for a receiver: version `ff` is invalid; version `00` is exactly
/// 55 characters; a higher (future) version is read by its first 55 characters, which must be
/// followed by the end or a `-`; an all-zero trace id or parent id is invalid; uppercase hex is
/// invalid. Leading and trailing spaces and tabs (HTTP's optional whitespace) are ignored. Repeated
/// `traceparent` fields joined with commas do not parse, as the spec wants.
/// `headerValue` always writes version `00`.
public struct TraceParent: Hashable, Sendable {
    /// The length of a version `00` value.
    public static let version00Length = 55

    /// The version the value carried (`0` for `00`); writing uses `00` whatever it was.
    public var version: UInt8
    /// The trace the caller's span belongs to.
    public var traceID: TraceID
    /// The caller's span id.
    public var parentID: SpanID
    /// The trace flags as received; bit 0 is `sampled`, the only flag of version `00`.
    public var flags: UInt8

    /// A version `00` value.
    public init(traceID: TraceID, parentID: SpanID, flags: UInt8) {
        self.version = 0
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    /// `true` when the caller recorded its span (the `sampled` flag).
    public var isSampled: Bool { flags & 0x01 != 0 }

    /// Parses a header value; `nil` when it is malformed by the rules above.
    public init?(_ value: some StringProtocol) {
        var bytes = Array(value.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        let start = bytes.startIndex
        let length = Self.version00Length
        guard bytes.count >= length,
              let version = LowercaseHex.parse(bytes[start..<start + 2]), version != 0xFF,
              bytes[start + 2] == UInt8(ascii: "-"), bytes[start + 35] == UInt8(ascii: "-"), bytes[start + 52] == UInt8(ascii: "-")
        else { return nil }
        if version == 0 {
            guard bytes.count == length else { return nil }
        } else if bytes.count > length {
            guard bytes[start + length] == UInt8(ascii: "-") else { return nil }
        }
        guard let high = LowercaseHex.parse(bytes[start + 3..<start + 19]), let low = LowercaseHex.parse(bytes[start + 19..<start + 35]),
              let parent = LowercaseHex.parse(bytes[start + 36..<start + 52]),
              let flags = LowercaseHex.parse(bytes[start + 53..<start + 55]) else { return nil }
        let traceID = TraceID(high: high, low: low)
        guard traceID.isValid, parent != 0 else { return nil }
        self.version = UInt8(version)
        self.traceID = traceID
        self.parentID = SpanID(parent)
        self.flags = UInt8(flags)
    }

    /// The version `00` header value: `00-<32 hex>-<16 hex>-<2 hex>`.
    public var headerValue: String {
        var out = [UInt8]()
        out.reserveCapacity(Self.version00Length)
        out.append(contentsOf: "00-".utf8)
        traceID.appendHex(to: &out)
        out.append(UInt8(ascii: "-"))
        parentID.appendHex(to: &out)
        out.append(UInt8(ascii: "-"))
        LowercaseHex.append(UInt64(flags), width: 2, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
