/// The wire protocol a Spark model is reached over (SparkCodec/README.md §1 for WebSocket, §10 for HTTP).
public enum SparkProtocol: String, Sendable, Codable, CaseIterable {
    /// The signed-URL WebSocket API: one question per connection (§2–§5).
    case websocket
    /// The OpenAI-style HTTP API (`POST /v1/chat/completions`, X1 `/v2/chat/completions`) with SSE answers (§10).
    case http
}
