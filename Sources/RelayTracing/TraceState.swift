/// A `tracestate` header value (W3C Trace Context level 1, section 3.3), kept verbatim when it is
/// valid and within bounds, else dropped (`init` returns `nil`).
///
/// Valid means: comma-separated list members with optional spaces and tabs around them (empty
/// members are allowed and not counted); each member is `key=value` where the key is a simple key
/// (`lcalpha` then up to 255 of `lcalpha DIGIT _ - * /`) or a multi-tenant key
/// (`tenant@system`, a tenant of 1 to 241 and a system of 1 to 14 such characters, the tenant
/// starting with `lcalpha` or a digit, the system with `lcalpha`); the value is 1 to 256 printable
/// ASCII characters other than `,` and `=`, not ending in a space; no key appears twice. Bounds: at
/// most `maxListMembers` members and `maxLength` characters in all. The spec lets a vendor cut an
/// over-long value down member by member; this type drops it whole instead, which the spec also
/// allows for a value it does not propagate.
public struct TraceState: Hashable, Sendable, CustomStringConvertible {
    /// Most list members (the spec's limit).
    public static let maxListMembers = 32
    /// Longest value propagated, in characters (the spec's "at least 512" taken as the bound).
    public static let maxLength = 512

    /// The value as received (surrounding whitespace removed).
    public let headerValue: String

    /// Validates `value`; `nil` when it is malformed, empty, or over a bound.
    public init?(_ value: some StringProtocol) {
        var bytes = Array(value.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty, bytes.count <= Self.maxLength else { return nil }
        var keys = Set<ArraySlice<UInt8>>()
        for rawMember in bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            var member = rawMember
            while let first = member.first, first == 0x20 || first == 0x09 { member.removeFirst() }
            while let last = member.last, last == 0x20 || last == 0x09 { member.removeLast() }
            if member.isEmpty { continue }
            guard let equals = member.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = member[member.startIndex..<equals]
            let memberValue = member[(equals + 1)...]
            guard Self.isValidKey(key), Self.isValidValue(memberValue), keys.insert(key).inserted,
                  keys.count <= Self.maxListMembers else { return nil }
        }
        guard !keys.isEmpty else { return nil }
        headerValue = String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { headerValue }

    private static func isLowerAlpha(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isKeyCharacter(_ byte: UInt8) -> Bool {
        isLowerAlpha(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/")
    }

    static func isValidKey(_ key: ArraySlice<UInt8>) -> Bool {
        if let at = key.firstIndex(of: UInt8(ascii: "@")) {
            let tenant = key[key.startIndex..<at]
            let system = key[(at + 1)...]
            guard let tenantFirst = tenant.first, isLowerAlpha(tenantFirst) || isDigit(tenantFirst), tenant.count <= 241,
                  tenant.allSatisfy(isKeyCharacter),
                  let systemFirst = system.first, isLowerAlpha(systemFirst), system.count <= 14,
                  system.allSatisfy(isKeyCharacter) else { return false }
            return true
        }
        guard let first = key.first, isLowerAlpha(first), key.count <= 256 else { return false }
        return key.allSatisfy(isKeyCharacter)
    }

    static func isValidValue(_ value: ArraySlice<UInt8>) -> Bool {
        guard let last = value.last, last != 0x20, value.count <= 256 else { return false }
        return value.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") }
    }
}
