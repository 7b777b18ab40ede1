import Foundation

/// Why a Spark request failed, with a diagnosis a developer or operator can act on.
///
/// Every message is safe to log and to show: none contains the API secret, a signature or a signed
/// URL. Handshake failures are told apart the way Spark's gateway answers them: 401 (key or secret
/// wrong), 403 because of the clock (with the skew measured from the gateway's `Date` header),
/// 403 for another reason (IP allow-list), 404 (wrong path for the model).
public enum SparkClientError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// Which wait ran out of time.
    public enum TimeoutPhase: String, Sendable, Equatable {
        /// DNS plus TCP connect (``SparkClient/Configuration/connectTimeout``).
        case connect
        /// TLS plus the WebSocket upgrade (``SparkClient/Configuration/handshakeTimeout``).
        case handshake
        /// From the request to Spark's first frame (``SparkClient/Configuration/firstFrameTimeout``).
        case firstFrame = "first_frame"
        /// Between two frames (``SparkClient/Configuration/idleTimeout``).
        case idle
    }

    /// The request names a model that is not in the client's model table; nothing was sent.
    ///
    /// - Parameters:
    ///   - name: The model name as given.
    ///   - available: The names the table knows.
    case unknownModel(name: String, available: [String])
    /// A request parameter is invalid for its model; nothing was sent.
    ///
    /// - Parameters:
    ///   - name: The parameter, e.g. `temperature` or `messages[1].role`.
    ///   - reason: What is wrong and what is allowed.
    case invalidParameter(name: String, reason: String)
    /// Spark answered the upgrade with HTTP 401: the API key or secret is wrong, or the key does not
    /// belong to the app.
    case unauthorized(diagnosis: String)
    /// Spark answered the upgrade with HTTP 403 because the signed date is too far from its clock.
    ///
    /// - Parameters:
    ///   - seconds: This machine's clock minus the gateway's (positive: ahead), when the gateway sent
    ///     a `Date` header.
    ///   - diagnosis: What to fix.
    case clockSkew(seconds: Int?, diagnosis: String)
    /// Spark answered the upgrade with HTTP 403 for another reason (the app's IP allow-list).
    case forbidden(diagnosis: String)
    /// Spark answered the upgrade with HTTP 404: the model's path does not exist on that host.
    ///
    /// - Parameters:
    ///   - path: The WebSocket path that was asked for.
    ///   - diagnosis: What to check.
    case notFound(path: String, diagnosis: String)
    /// Spark answered the upgrade with another HTTP status.
    case handshakeFailed(status: Int, diagnosis: String)
    /// TLS failed (certificate, host name, protocol, or the CA file could not be loaded).
    case tls(diagnosis: String)
    /// DNS failed or the connection was refused or unreachable.
    case unreachable(diagnosis: String)
    /// A timeout of ``SparkClient/Configuration`` fired.
    case timeout(TimeoutPhase, diagnosis: String)
    /// Spark answered with an error frame.
    ///
    /// - Parameters:
    ///   - code: Spark's own integer error code (e.g. 10013 for content moderation, 11200 for quota).
    ///   - message: Spark's message with an explanation of the code.
    ///   - sid: Spark's session id, to quote to iFlytek support.
    case spark(code: Int, message: String, sid: String?)
    /// The connection ended before Spark's last frame.
    case closedBeforeEnd(sid: String?, diagnosis: String)
    /// The upstream broke the WebSocket or Spark protocol (unreadable or oversize frame, bad upgrade).
    case protocolError(sid: String?, diagnosis: String)
    /// The consuming task was cancelled; the WebSocket was closed with code 1000.
    case cancelled

    /// The diagnosis, one line.
    public var description: String {
        switch self {
        case .unknownModel(let name, let available):
            "unknown model '\(name.prefix(100))'; available: \(available.joined(separator: ", "))"
        case .invalidParameter(let name, let reason):
            "invalid \(name): \(reason)"
        case .unauthorized(let diagnosis), .forbidden(let diagnosis), .tls(let diagnosis), .unreachable(let diagnosis):
            diagnosis
        case .clockSkew(_, let diagnosis), .notFound(_, let diagnosis), .handshakeFailed(_, let diagnosis),
             .timeout(_, let diagnosis), .closedBeforeEnd(_, let diagnosis), .protocolError(_, let diagnosis):
            diagnosis
        case .spark(let code, let message, let sid):
            message.contains("\(code)") ? message + (sid.map { " (sid \($0))" } ?? "")
                : "Spark error \(code): \(message)" + (sid.map { " (sid \($0))" } ?? "")
        case .cancelled:
            "the Spark request was cancelled"
        }
    }

    /// Same as ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }

    /// Spark's session id, when the failure happened after Spark assigned one.
    public var sid: String? {
        switch self {
        case .spark(_, _, let sid), .closedBeforeEnd(let sid, _), .protocolError(let sid, _): sid
        default: nil
        }
    }

    /// `true` when the request never left the client (an invalid request).
    public var isInvalidRequest: Bool {
        switch self {
        case .unknownModel, .invalidParameter: true
        default: false
        }
    }
}
