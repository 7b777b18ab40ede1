import SparkCodec
import Testing
import WSClient
@testable import SparkUpstream

/// The diagnoses an operator reads from `spark-relay check` and the logs, for failures that have
/// one likely cause.
@Suite struct HandshakeDiagnosisTests {
    private let endpoint = SparkEndpoint(scheme: "wss", host: "127.0.0.1", port: 9443, path: "/v3.5/chat")

    private func diagnose(_ kind: WebSocketClientError.Kind, _ message: String) -> SparkUpstreamError {
        HandshakeDiagnosis.diagnose(WebSocketClientError(kind: kind, message: message), endpoint: endpoint, model: "generalv3.5",
                                    now: UnixTime(secondsSince1970: 0), maxClockSkew: 300)
    }

    /// `wss://` against a plain `ws://` server (spark-sim without a certificate) names the fix.
    @Test func tlsAgainstAPlainServerSaysToUseWS() {
        let refused = diagnose(.connect(.tls), "TLS handshake failed: error:0A00010B:SSL routines::wrong version number")
        #expect(refused.kind == .tls)
        #expect(refused.message.contains("answered without TLS"))
        #expect(refused.message.contains("use ws:// in --spark-base-url"))
        let silent = diagnose(.connect(.tlsTimeout), "timed out")
        #expect(silent.message.contains("use ws:// in --spark-base-url"))
        // A certificate problem is not that: it points at the CA store instead.
        let untrusted = diagnose(.connect(.tls), "TLS handshake failed: certificate verify failed")
        #expect(untrusted.message.contains("--ca-file"))
        #expect(!untrusted.message.contains("ws://"))
    }
}
