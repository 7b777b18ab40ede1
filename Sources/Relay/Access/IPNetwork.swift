/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or one address (`127.0.0.1`,
/// `::1`: the whole length). Host bits below the prefix are ignored. No I/O.
struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    let address: IPAddress
    let prefixLength: Int

    /// Parses `address` or `address/prefix`; `nil` for anything else.
    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        // The written family decides the prefix range (a mapped IPv4 address is written as IPv6).
        let maximum = parts[0].contains(":") ? 128 : 32
        var prefix = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), parts[1].allSatisfy(\.isASCII), parts[1].first != "+",
                  (0...maximum).contains(value) else { return nil }
            // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8.
            if address.isIPv4 && parts[0].contains(":") {
                guard value >= 96 else { return nil }
                prefix = value - 96
            } else {
                prefix = value
            }
        }
        self.address = address
        self.prefixLength = prefix
    }

    /// `true` when `candidate` is in this range (an IPv4 address is never in an IPv6 range).
    func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(address.bytes, candidate.bytes) {
            if remaining <= 0 { return true }
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if mine & mask != theirs & mask { return false }
            remaining -= 8
        }
        return true
    }

    var description: String { "\(address)/\(prefixLength)" }
}
