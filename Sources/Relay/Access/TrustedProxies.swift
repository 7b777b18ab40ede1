/// `server.trusted_proxies`: who may say, in `X-Forwarded-For`, which client a request is for.
/// No I/O: given the peer address and the header's values it returns the client address.
///
/// From a trusted peer the client is the right-most `X-Forwarded-For` address that is not itself
/// trusted (each proxy appends the address it received the request from, so only the entries
/// added by our own proxies can be believed; everything left of them may be made up by the client).
/// A malformed header (an entry that is not an IP address, such as `unknown` or `1.2.3.4:80`) is
/// ignored: the peer is the client. From an untrusted peer the header is never read.
struct TrustedProxies: Sendable {
    let networks: [IPNetwork]

    /// `nil` for an entry that is not an address or CIDR range (the config loader reports it).
    init?(_ entries: [String]) {
        var networks: [IPNetwork] = []
        for entry in entries {
            guard let network = IPNetwork(entry) else { return nil }
            networks.append(network)
        }
        self.networks = networks
    }

    var isEmpty: Bool { networks.isEmpty }

    func isTrusted(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For` field
    /// values (several fields count as one comma-separated list, in order).
    func clientAddress(peer: String, forwardedFor values: [String]) -> String {
        guard !values.isEmpty, let peerAddress = IPAddress(peer), isTrusted(peerAddress) else { return peer }
        var entries: [IPAddress] = []
        for value in values {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                var item = element.trimmingASCIIWhitespace()
                if item.hasPrefix("[") && item.hasSuffix("]") { item = item.dropFirst().dropLast() }
                guard let address = IPAddress(item) else { return peer }
                entries.append(address)
            }
        }
        for address in entries.reversed() where !isTrusted(address) {
            return address.description
        }
        // Every hop is one of ours: the left-most is the furthest we know.
        return entries.first?.description ?? peer
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingASCIIWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
