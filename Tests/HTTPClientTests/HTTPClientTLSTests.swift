import HTTPClient
import HTTPCodec
import RelayIO
import RelayTestSupport
import Testing

/// `https` origins against a TLS server whose certificate the `openssl` CLI makes at test time:
/// keep-alive over TLS, session resumption on the next connection, a certificate that does not verify.
@Suite struct HTTPClientTLSTests {
    @Test func keepAliveOverTLS() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try TestHTTPServer(tls: certificates) { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecure\r\n0\r\n\r\n")
        }
        defer { server.stop() }
        let harness = ClientHarness(tls: try TLSContext(clientWithCAFile: certificates.caCertificate))
        defer { harness.stop() }
        let origin = HTTPClientOrigin(isSecure: true, host: "127.0.0.1", port: server.port)
        let (first, firstEvents) = harness.run(HTTPClientRequest(path: "/"), on: origin)
        #expect(firstEvents?.error == nil)
        #expect(firstEvents?.text == "secure")
        #expect(first.tlsSessionResumed == false)
        let (second, secondEvents) = harness.run(HTTPClientRequest(path: "/"), on: origin)
        #expect(secondEvents?.text == "secure")
        #expect(second.reusedConnection)
        #expect(second.tlsSessionResumed == false, "the same connection, whose handshake was a full one")
        #expect(server.snapshot.accepted == 1)
    }

    @Test func theSecondConnectionResumesTheFirstOnesSession() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try TestHTTPServer(tls: certificates) { exchange in
            exchange.send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        }
        defer { server.stop() }
        let tls = try TLSContext(clientWithCAFile: certificates.caCertificate)
        let harness = ClientHarness(tls: tls)
        defer { harness.stop() }
        let origin = HTTPClientOrigin(isSecure: true, host: "127.0.0.1", port: server.port)
        let (first, firstEvents) = harness.run(HTTPClientRequest(path: "/"), on: origin)
        #expect(firstEvents?.error == nil)
        #expect(first.tlsSessionResumed == false)
        #expect(try #require(tls.sessionCache).count(for: "127.0.0.1:\(server.port)") >= 1)
        let (second, secondEvents) = harness.run(HTTPClientRequest(path: "/"), on: origin)
        #expect(secondEvents?.error == nil)
        #expect(!second.reusedConnection)
        #expect(second.tlsSessionResumed == true)
        #expect(server.snapshot.tlsResumed == [false, true])
    }

    @Test func aCertificateThatDoesNotVerifyIsATLSError() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try TestHTTPServer(tls: certificates) { exchange in exchange.send("HTTP/1.1 204 No Content\r\n\r\n") }
        defer { server.stop() }
        let harness = ClientHarness(tls: try TLSContext(clientWithCAFile: nil))  // system CAs only
        defer { harness.stop() }
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: HTTPClientOrigin(isSecure: true, host: "127.0.0.1", port: server.port))
        #expect(events?.error?.kind == .tls)
        #expect(events?.error?.message.contains("certificate") == true)
        #expect(server.snapshot.requests == 0)
    }

    @Test func aDNSNameIsResolvedOffTheLoopAndVerifiedAgainstTheCertificate() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try TestHTTPServer(tls: certificates) { exchange in exchange.send("HTTP/1.1 204 No Content\r\n\r\n") }
        defer { server.stop() }
        let harness = ClientHarness(tls: try TLSContext(clientWithCAFile: certificates.caCertificate))
        defer { harness.stop() }
        // The certificate names localhost (and 127.0.0.1); SNI and the name check use the origin's host.
        let (_, events) = harness.run(HTTPClientRequest(path: "/"), on: HTTPClientOrigin(isSecure: true, host: "localhost", port: server.port))
        #expect(events?.error == nil)
        #expect(events?.head?.status == 204)
    }
}
