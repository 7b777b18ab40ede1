/// The answer to one ``ChatRequest``, event by event, as Spark sends it.
///
/// ```swift
/// do {
///     for try await event in client.stream(request) {
///         switch event {
///         case .textDelta(let text): print(text, terminator: "")
///         case .done(_, let usage): print("\n\(usage?.totalTokens ?? 0) tokens")
///         default: break
///         }
///     }
/// } catch {
///     print(error)  // a SparkClientError
/// }
/// ```
///
/// Each iterator is one conversation: it opens its own WebSocket on its first `next()` (iterating the
/// same sequence twice asks Spark twice). It fails with ``SparkClientError`` only
/// (`Failure == SparkClientError`), so `catch` gets a typed error. Ending
/// the iteration early (`break`, a thrown error, dropping the iterator) or cancelling the consuming
/// task closes the WebSocket at once with code 1000; after a cancellation `next()` throws
/// ``SparkClientError/cancelled``.
public struct SparkStream: AsyncSequence, Sendable {
    /// The events of the answer.
    public typealias Element = SparkEvent
    /// The only error the sequence throws.
    public typealias Failure = SparkClientError

    private let client: SparkClient
    private let request: ChatRequest

    init(client: SparkClient, request: ChatRequest) {
        self.client = client
        self.request = request
    }

    /// Creates an iterator; its first `next()` connects.
    ///
    /// - Returns: An iterator over this request's answer.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(core: StreamCore(client: client, request: request))
    }

    /// Iterates the answer of one request. Use it from one task at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// The events of the answer.
        public typealias Element = SparkEvent
        /// The only error the iterator throws.
        public typealias Failure = SparkClientError

        /// The state shared with the connection (internal so tests can observe the buffer).
        let core: StreamCore

        /// The next event, or `nil` after ``SparkEvent/done(sid:usage:)`` or after an error was thrown.
        ///
        /// - Returns: The next event, or `nil` at the end.
        /// - Throws: ``SparkClientError``.
        public mutating func next() async throws(SparkClientError) -> SparkEvent? {
            try await core.next(isolation: nil)
        }

        /// The next event, or `nil` after ``SparkEvent/done(sid:usage:)`` or after an error was thrown;
        /// runs on the caller's actor.
        ///
        /// - Parameter actor: The caller's isolation.
        /// - Returns: The next event, or `nil` at the end.
        /// - Throws: ``SparkClientError``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(SparkClientError) -> SparkEvent? {
            try await core.next(isolation: actor)
        }
    }
}
