import JSON
import SparkCodec
import WSClient

/// Turns a failed WebSocket connection into a specific Spark diagnosis: 401 (signature or key),
/// 403 (clock skew measured from the upstream's `Date` header, or IP allow-list), 404 (wrong path),
/// TLS and connect failures.
public enum HandshakeDiagnosis {
    /// `now` is the local time the request was signed with.
    /// What to try when a `wss://` URL met a server that does not speak TLS.
    static func plainHint(_ endpoint: SparkEndpoint) -> String {
        "If \(endpoint.authority) is a plain ws:// server (such as spark-sim started without --tls-cert), use ws:// in --spark-base-url (upstream.spark_base_url)."
    }

    /// OpenSSL's words for a peer that answered a ClientHello with something other than TLS.
    static func answeredInPlaintext(_ message: String) -> Bool {
        ["wrong version number", "packet length too long", "http request"].contains { message.lowercased().contains($0) }
    }

    public static func diagnose(_ error: WebSocketClientError, endpoint: SparkEndpoint, model: String, now: UnixTime,
                                maxClockSkew: Double) -> SparkUpstreamError {
        let sparkMessage = Self.sparkMessage(error.responseBody)
        let quoted = sparkMessage.map { ": \"\($0)\"" } ?? ""
        switch error.kind {
        case .connect(.resolve), .connect(.refused):
            return SparkUpstreamError(kind: .unreachable, message: "cannot reach Spark at \(endpoint.authority): \(error.message)")
        case .connect(.connectTimeout):
            return SparkUpstreamError(kind: .timeout(.connect), message: "connecting to Spark at \(endpoint.authority) timed out")
        case .connect(.tlsTimeout):
            return SparkUpstreamError(kind: .timeout(.handshake), message: "the TLS handshake with \(endpoint.authority) timed out. \(plainHint(endpoint))")
        case .handshakeTimeout:
            return SparkUpstreamError(kind: .timeout(.handshake), message: "the WebSocket upgrade with \(endpoint.authority) got no answer in time")
        case .connect(.tls) where Self.answeredInPlaintext(error.message):
            return SparkUpstreamError(kind: .tls, message: "TLS with \(endpoint.authority) failed: \(error.message): it answered without TLS. \(plainHint(endpoint))")
        case .connect(.tls):
            return SparkUpstreamError(kind: .tls, message: "TLS with Spark at \(endpoint.authority) failed: \(error.message). Check the system CA store or --ca-file.")
        case .handshakeRejected(let status):
            switch status {
            case 401:
                return SparkUpstreamError(kind: .unauthorized, message: "Spark rejected the signed URL (HTTP 401\(quoted)): the API key or API secret is wrong, or the key does not belong to this app. Check SPARK_API_KEY and SPARK_API_SECRET.")
            case 403:
                let skew = error.responseDate.flatMap { HTTPDate.parse($0) }.map { Int(now.seconds(since: $0).rounded()) }
                let dateProblem = sparkMessage?.contains("date") ?? false
                if let skew, abs(Double(skew)) > maxClockSkew || dateProblem {
                    let direction = skew >= 0 ? "ahead of" : "behind"
                    return SparkUpstreamError(kind: .clockSkew(seconds: skew), message: "Spark rejected the request date (HTTP 403\(quoted)): this machine's clock is \(abs(skew)) s \(direction) the upstream's (limit \(Int(maxClockSkew)) s). Fix the system clock (NTP).")
                }
                if dateProblem {
                    return SparkUpstreamError(kind: .clockSkew(seconds: nil), message: "Spark rejected the request date (HTTP 403\(quoted)); the upstream sent no Date header to measure the skew. Check the system clock.")
                }
                return SparkUpstreamError(kind: .forbidden, message: "Spark refused the connection (HTTP 403\(quoted)): check the app's IP allow-list in the iFlytek console.")
            case 404:
                return SparkUpstreamError(kind: .notFound, message: "Spark has no endpoint \(endpoint.path) at \(endpoint.authority) (HTTP 404): wrong path for model '\(model)'. Check the model table and --spark-base-url.")
            default:
                return SparkUpstreamError(kind: .handshakeFailed(status: status), message: "Spark answered the WebSocket upgrade with HTTP \(status)\(quoted)")
            }
        case .handshakeInvalid:
            return SparkUpstreamError(kind: .protocolError, message: "invalid WebSocket upgrade from \(endpoint.authority): \(error.message)")
        case .protocolViolation:
            return SparkUpstreamError(kind: .protocolError, message: error.message)
        case .transport, .closedWithoutClose:
            return SparkUpstreamError(kind: .closedBeforeEnd, message: "the connection to Spark ended before the answer was complete: \(error.message)")
        }
    }

    /// The `message` of Spark's small JSON error body, if any.
    static func sparkMessage(_ body: [UInt8]) -> String? {
        guard !body.isEmpty,
              let object = try? JSONScanner.parse(body),
              let message = object["message"]?.stringValue else { return nil }
        return String(message.prefix(200))
    }
}
