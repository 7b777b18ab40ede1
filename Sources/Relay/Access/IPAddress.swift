/// An IPv4 or IPv6 address parsed from text, without I/O (for `X-Forwarded-For` and
/// `server.trusted_proxies`). IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack
/// socket reports for IPv4 peers) are taken as the IPv4 address, so one rule covers both.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 bytes (IPv6), network order.
    let bytes: [UInt8]

    var isIPv4: Bool { bytes.count == 4 }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (`::` compression, a trailing dotted quad).
    /// Zone ids (`fe80::1%eth0`), ports and brackets are not addresses: `nil`.
    init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        if let v4 = Self.parseIPv4(utf8[...]) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(utf8) {
            if v6[0..<10].allSatisfy({ $0 == 0 }) && v6[10] == 0xFF && v6[11] == 0xFF {
                bytes = Array(v6[12..<16])
            } else {
                bytes = v6
            }
        } else {
            return nil
        }
    }

    /// IPv4 as dotted quad; IPv6 in RFC 5952 form (lowercase, longest zero run as `::`).
    var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        var bestStart = -1, bestLength = 0, index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8 && groups[index] == 0 { index += 1 }
            if index - start > bestLength && index - start > 1 { bestStart = start; bestLength = index - start }
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    private static func parseIPv4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            // 1-3 decimal digits, no leading zero (an octal reading would differ), at most 255.
            guard (1...3).contains(part.count), part.allSatisfy({ (0x30...0x39).contains($0) }),
                  part.count == 1 || part.first != 0x30 else { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard value <= 255 else { return nil }
            result.append(UInt8(value))
        }
        return result
    }

    private static func parseIPv6(_ text: [UInt8]) -> [UInt8]? {
        guard text.count >= 2, text.count <= 45 else { return nil }
        // Split at "::" (at most once).
        var head = text[...], tail: ArraySlice<UInt8>? = nil
        if let at = (0..<(text.count - 1)).first(where: { text[$0] == 0x3A && text[$0 + 1] == 0x3A }) {
            head = text[..<at]
            tail = text[(at + 2)...]
            // ":::" or a second "::" is not an address.
            if text.count > at + 2 && text[at + 2] == 0x3A { return nil }
            if ((at + 2)..<max(at + 2, text.count - 1)).contains(where: { text[$0] == 0x3A && text[$0 + 1] == 0x3A }) {
                return nil
            }
        }
        func groups(_ part: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            let fields = part.split(separator: 0x3A, omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for (index, field) in fields.enumerated() {
                if allowIPv4Tail && index == fields.count - 1 && field.contains(0x2E) {
                    guard let v4 = parseIPv4(field) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(field.count) else { return nil }
                var value = 0
                for byte in field {
                    guard let digit = hexDigit(byte) else { return nil }
                    value = value << 4 | digit
                }
                out += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return out
        }
        if let tail {
            guard let left = groups(head, allowIPv4Tail: false), let right = groups(tail, allowIPv4Tail: true),
                  left.count + right.count <= 14 else { return nil }
            return left + Array(repeating: 0, count: 16 - left.count - right.count) + right
        }
        guard let all = groups(head, allowIPv4Tail: true), all.count == 16 else { return nil }
        return all
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        default: return nil
        }
    }
}
