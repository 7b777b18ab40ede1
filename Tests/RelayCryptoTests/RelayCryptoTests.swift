import Testing
@testable import RelayCrypto

@Suite struct RelayCryptoTests {
    @Test func hmacMatchesRFC4231Case2() {
        let mac = HMACSHA256.authenticationCode(key: "Jefe", message: "what do ya want for nothing?")
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func sha1MatchesRFC6455HandshakeExample() {
        let accept = Base64.encode(Digest.sha1(Array("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8)))
        #expect(accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func sha256OfEmptyInput() {
        #expect(Hex.encode(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func base64RoundTripsRFC4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["Zg=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg=="])
    func base64RejectsMalformedInput(_ input: String) {
        #expect(Base64.decode(input) == nil)
    }

    @Test func secureRandomGivesDistinctValues() {
        let a = SecureRandom.bytes(count: 16)
        let b = SecureRandom.bytes(count: 16)
        #expect(a.count == 16)
        #expect(a != b)
        #expect(SecureRandom.hex(byteCount: 16).count == 32)
    }

    /// Small draws come from the pool: across many refills (and from several threads at once) no
    /// draw repeats another and the bytes cover every value.
    @Test func pooledDrawsNeverRepeatAcrossRefills() async {
        let draws = await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<2_000).map { _ in SecureRandom.bytes(count: 16) } }
            }
            return await group.reduce(into: [[UInt8]]()) { $0 += $1 }
        }
        #expect(draws.count == 8_000)
        #expect(Set(draws).count == draws.count)
        #expect(Set(draws.joined()).count == 256)
        let sizes = (1...SecureRandom.pooledRequestLimit).map { SecureRandom.bytes(count: $0).count }
        #expect(sizes == Array(1...SecureRandom.pooledRequestLimit))
    }

    @Test func secureRandomFillsLargeBuffersWithEveryByteValue() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        let large = SecureRandom.bytes(count: 1 << 20)
        #expect(large.count == 1 << 20)
        // Every value appears in 64 KiB of uniform bytes (a value is missing with probability ~e^-256),
        // and the two halves of the buffer differ (a short read would leave zeros or repeat).
        var seen = [Bool](repeating: false, count: 256)
        for byte in large.prefix(65_536) { seen[Int(byte)] = true }
        #expect(seen.allSatisfy { $0 })
        #expect(large.prefix(1 << 19) != large.suffix(1 << 19))
        let zeros = large.suffix(4096).filter { $0 == 0 }.count
        #expect(zeros < 64, "4,096 uniform bytes hold about 16 zeros")
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2], [1, 2, 3]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }
}
