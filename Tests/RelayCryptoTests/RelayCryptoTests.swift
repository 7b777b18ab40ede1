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

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2], [1, 2, 3]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }
}
