/// Failures of one Spark answer stream at the protocol level.
public enum SparkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An error frame: `header.code != 0` (SparkCodec/README.md §5.5, codes in §6).
    case upstream(code: Int, message: String, sid: String?)
    /// The message is not a frame: invalid JSON, no header, wrong field types, too large.
    case malformedFrame(String)
    /// A frame arrived after the last frame or an error frame.
    case frameAfterEnd
    /// The connection closed before a last frame (`status` 2) arrived.
    case closedBeforeEnd(sid: String?)

    /// A log-safe summary (no secrets; Spark's message is included as sent).
    public var description: String {
        switch self {
        case .upstream(let code, let message, let sid):
            "Spark error \(code): \(message)" + (sid.map { " (sid \($0))" } ?? "")
        case .malformedFrame(let reason):
            "malformed Spark frame: \(reason)"
        case .frameAfterEnd:
            "Spark frame after the end of the answer"
        case .closedBeforeEnd(let sid):
            "Spark closed the connection before the answer ended" + (sid.map { " (sid \($0))" } ?? "")
        }
    }
}
