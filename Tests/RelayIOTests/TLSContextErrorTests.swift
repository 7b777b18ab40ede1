import RelayIO
import Testing

/// OpenSSL's error strings are loaded lazily (`OpenSSLRuntime.loadErrorStrings`); a failure must
/// still read as OpenSSL's words, not as bare codes such as `lib(32)::reason(128)`.
@Suite struct TLSContextErrorTests {
    @Test func aMissingCertificateFileIsDescribedInOpenSSLsWords() {
        let missing = "/nonexistent-\(UInt32.random(in: 0...UInt32.max))/cert.pem"
        do {
            _ = try TLSContext(serverCertificateFile: missing, keyFile: missing)
            Issue.record("a missing certificate file was accepted")
        } catch {
            guard case .tls(let message) = error else {
                Issue.record("expected a TLS error, got \(error)")
                return
            }
            #expect(message.hasPrefix("loading the certificate '\(missing)' failed: "))
            #expect(message.contains("routines"))
            #expect(message.contains("No such file or directory"))
            #expect(!message.contains("reason("))
        }
    }

    @Test func aMissingCAFileIsDescribedInOpenSSLsWords() {
        let missing = "/nonexistent-\(UInt32.random(in: 0...UInt32.max))/ca.pem"
        do {
            _ = try TLSContext(clientWithCAFile: missing)
            Issue.record("a missing CA file was accepted")
        } catch {
            guard case .tls(let message) = error else {
                Issue.record("expected a TLS error, got \(error)")
                return
            }
            #expect(message.hasPrefix("loading the CA file '\(missing)' failed: "))
            #expect(message.contains("No such file or directory"))
            #expect(!message.contains("reason("))
        }
    }
}
