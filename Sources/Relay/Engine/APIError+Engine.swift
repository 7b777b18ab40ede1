import HTTPCodec

extension APIError {
    /// `POST /chat` (and claiming a ticket) while the shared engine is unreachable.
    static let engineUnavailable = APIError(
        status: .serviceUnavailable, type: "server_error", code: "engine_unavailable",
        message: "the shared stream engine (Redis) is unavailable; retry shortly, or use POST /chat/stream",
        headers: [("Retry-After", "5")])
}

extension APIError {
    /// A key with a budget while the shared engine that counts it (Redis) is unreachable and
    /// `auth.budget_when_engine_down` is `closed`.
    static func budgetUnavailable(key: String) -> APIError {
        APIError(status: .serviceUnavailable, type: "server_error", code: "budget_unavailable",
                 message: "key '\(key)' has a budget, counted in the shared stream engine (Redis), which is unavailable; retry shortly",
                 headers: [("Retry-After", "5")])
    }
}

extension APIError {
    /// `/v1/usage` or `/admin/usage` while the shared engine that holds the counters is unreachable.
    static let usageUnavailable = APIError(
        status: .serviceUnavailable, type: "server_error", code: "usage_unavailable",
        message: "the shared stream engine (Redis) that counts usage is unavailable; retry shortly",
        headers: [("Retry-After", "5")])
}
