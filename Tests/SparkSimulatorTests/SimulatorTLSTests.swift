import Foundation
import RelayTestSupport
import SparkCodec
@testable import SparkSimulator
import Testing

/// `wss://`: a CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) are made with the `openssl`
/// CLI in a temporary directory at test time (no key is ever committed), the simulator serves them, and a
/// verifying OpenSSL client connects.
@Suite("SimulatorServer over TLS")
struct SimulatorTLSTests {
    static func makeCertificates() throws -> TestCertificates {
        try TestCertificates.make()
    }

    @Test func fullAnswerOverVerifiedTLS() throws {
        let certificates = try Self.makeCertificates()
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        let harness = try SimulatorHarness(tls: (certificates.certificate, certificates.key))
        #expect(harness.server.configuration.usesTLS)
        let client = try harness.openClient(caFile: certificates.caCertificate)
        #expect(client.socket.tlsVersion?.hasPrefix("TLSv1.") == true)
        try client.sendText(SimulatorHarness.request("加密 [[fragment]] [[big]]"))
        let (texts, _, end) = try client.readUntilEnd()
        #expect(end == .close(1000))
        let frames = try SimulatorHarness.decode(texts)
        #expect(frames.map(\.content).joined() == SimulatorScript.bigFiller + SimulatorScript.answer(for: "加密"))
        #expect(harness.record(id: 1)?.end == .completed)
    }

    @Test func authFailureOverTLSKeepsSparksBody() throws {
        let certificates = try Self.makeCertificates()
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        let harness = try SimulatorHarness(tls: (certificates.certificate, certificates.key))
        let client = try TestWebSocketClient(port: harness.port, caFile: certificates.caCertificate)
        let response = try client.upgrade(target: "/v3.5/chat", host: harness.hostHeader)
        #expect(response.status == 401)
        #expect(response.bodyText == #"{"message":"Unauthorized"}"#)
    }

    @Test func aClientThatDoesNotTrustTheCAFailsAndIsRecorded() throws {
        let certificates = try Self.makeCertificates()
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        let harness = try SimulatorHarness(tls: (certificates.certificate, certificates.key))
        let other = try Self.makeCertificates()
        defer { try? FileManager.default.removeItem(at: other.directory) }
        #expect(throws: TestClientError.self) {
            _ = try TestWebSocketClient(port: harness.port, caFile: other.caCertificate)
        }
        #expect(harness.record(id: 1)?.end == .tlsFailed)
        #expect(harness.server.waitForConnectionCount(0, timeout: 5))
    }

    @Test func missingCertificateFailsToStart() {
        let server = SimulatorServer(
            configuration: SimulatorConfiguration(tlsCertificateFile: "/nonexistent.pem", tlsKeyFile: "/nonexistent.key"),
            group: .init(count: 1))
        #expect(throws: SimulatorError.self) { _ = try server.start() }
    }
}
