import HTTPCodec

extension APIError {
    /// `POST /chat` (and claiming a ticket) while the shared engine is unreachable.
    static let engineUnavailable = APIError(
        status: .serviceUnavailable, type: "server_error", code: "engine_unavailable",
        message: "the shared stream engine (Redis) is unavailable; retry shortly, or use POST /chat/stream",
        headers: [("Retry-After", "5")])
}
