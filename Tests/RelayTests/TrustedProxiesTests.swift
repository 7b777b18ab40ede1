import Testing
@testable import Relay

/// Address and CIDR parsing and the `X-Forwarded-For` rule (README.md "Operations", behind a proxy). No sockets.
@Suite struct TrustedProxiesTests {
    @Test func ipv4AndIPv6AddressesParseStrictly() {
        #expect(IPAddress("127.0.0.1")?.bytes == [127, 0, 0, 1])
        #expect(IPAddress("255.255.255.255")?.description == "255.255.255.255")
        #expect(IPAddress("::1")?.description == "::1")
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:db8::1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("fe80::")?.description == "fe80::")
        #expect(IPAddress("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPAddress("64:ff9b::192.0.2.33")?.description == "64:ff9b::c000:221")
        // IPv4-mapped (what a dual-stack socket reports) is the IPv4 address.
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("::FFFF:c000:0201")?.description == "192.0.2.1")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "a.b.c.d",
                    "1.2.3.4:80", "unknown", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", ":1::",
                    "1::2:", "fe80::1%eth0", "[::1]", "::1.2.3", "1.2.3.4::", "g::1", "1:2:3:4:5:6:7::8:9"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func networksMatchByPrefix() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        #expect(ten.contains(try #require(IPAddress("10.255.1.2"))))
        #expect(!ten.contains(try #require(IPAddress("11.0.0.1"))))
        let odd = try #require(IPNetwork("192.168.1.128/25"))
        #expect(odd.contains(try #require(IPAddress("192.168.1.200"))))
        #expect(!odd.contains(try #require(IPAddress("192.168.1.127"))))
        let host = try #require(IPNetwork("127.0.0.1"))
        #expect(host.prefixLength == 32)
        #expect(!host.contains(try #require(IPAddress("127.0.0.2"))))
        let v6 = try #require(IPNetwork("fd00::/8"))
        #expect(v6.contains(try #require(IPAddress("fd12:3456::1"))))
        #expect(!v6.contains(try #require(IPAddress("fe80::1"))))
        #expect(!v6.contains(try #require(IPAddress("10.0.0.1"))))
        #expect(try #require(IPNetwork("::/0")).contains(try #require(IPAddress("2001:db8::1"))))
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains(try #require(IPAddress("8.8.8.8"))))
        // Host bits are ignored; a mapped range is the IPv4 range.
        #expect(try #require(IPNetwork("10.1.2.3/8")).contains(try #require(IPAddress("10.9.9.9"))))
        #expect(try #require(IPNetwork("::ffff:10.0.0.0/104")).contains(try #require(IPAddress("10.3.2.1"))))
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "/8", "x/8", "::ffff:10.0.0.0/95"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func theClientIsTheRightMostUntrustedForwardedAddressFromATrustedPeer() throws {
        let proxies = try #require(TrustedProxies(["127.0.0.1", "::1", "10.0.0.0/8"]))
        // Untrusted peer: the header is never read.
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        // Trusted peer, one hop.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.1"]) == "198.51.100.1")
        // The client prepended its own claim: the right-most untrusted entry is what our proxy saw.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["1.1.1.1, 198.51.100.1"]) == "198.51.100.1")
        // Our own proxies in the chain are skipped.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.1, 10.1.1.1", "10.2.2.2"]) == "198.51.100.1")
        // Every hop trusted: the left-most.
        #expect(proxies.clientAddress(peer: "::1", forwardedFor: ["10.1.1.1,10.2.2.2"]) == "10.1.1.1")
        // IPv6 entries, with and without brackets, and a mapped peer.
        #expect(proxies.clientAddress(peer: "::1", forwardedFor: ["2001:DB8::7"]) == "2001:db8::7")
        #expect(proxies.clientAddress(peer: "::ffff:127.0.0.1", forwardedFor: ["[2001:db8::7]"]) == "2001:db8::7")
        // Malformed: the peer is the client, never an error.
        for header in ["", "unknown", "1.2.3.4:5678", "1.2.3.4,,5.6.7.8", "1.2.3.4, nonsense", "300.1.1.1", "1.2.3.4;"] {
            #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: [header]) == "127.0.0.1", "\(header)")
        }
        // No header: the peer.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
        #expect(TrustedProxies(["127.0.0.1", "localhost"]) == nil)
        #expect(TrustedProxies([])?.isEmpty == true)
    }
}
