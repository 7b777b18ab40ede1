import DequeModule
import SparkUpstream
import Synchronization

/// The state one ``SparkStream`` iterator shares with its connection: a bounded event buffer filled
/// on the client's event loop and drained by the consuming task, the waiting consumer's
/// continuation, and the end of the stream. Everything mutable sits behind one `Mutex`.
///
/// Back-pressure: when the buffer has less room than one frame's events, the loop side pauses
/// reading from Spark; when the consumer drains it below half, reading resumes. So the buffer never
/// holds more than `limit` events. Dropping the last reference (the iterator) cancels the
/// conversation, which closes the WebSocket with 1000.
final class StreamCore: Sendable {
    private typealias Waiter = CheckedContinuation<Result<SparkEvent?, SparkClientError>, Never>

    private enum Phase {
        /// No `next()` yet.
        case idle
        /// Connecting or streaming.
        case running
        /// Spark's answer is complete: drain the buffer, then `nil`.
        case finished
        /// Failed (or cancelled): drain the buffer, throw once, then `nil`.
        case failed(SparkClientError)
        /// The error was thrown; every further `next()` returns `nil`.
        case over
    }

    private struct State {
        var phase = Phase.idle
        var events = Deque<SparkEvent>()
        var waiter: Waiter?
        var driver: StreamDriver?
        var readingPaused = false
        var maxBufferedCount = 0
        var pauseCount = 0
    }

    private let client: SparkClient
    private let request: ChatRequest
    private let limit: Int
    private let state = Mutex(State())

    init(client: SparkClient, request: ChatRequest) {
        self.client = client
        self.request = request
        self.limit = client.configuration.effectiveBufferLimit
    }

    deinit {
        // The consumer is gone (finished, `break`, or dropped the iterator): close the upstream now.
        let driver = state.withLock { $0.driver }
        if let driver {
            client.loop.execute { driver.cancel() }
        }
    }

    // MARK: - Observation (tests)

    /// The most events the buffer ever held.
    var maxBufferedCount: Int { state.withLock { $0.maxBufferedCount } }
    /// How many times reading from Spark was paused for the consumer.
    var pauseCount: Int { state.withLock { $0.pauseCount } }
    /// Events currently buffered.
    var bufferedCount: Int { state.withLock { $0.events.count } }
    /// The buffer bound in effect.
    var bufferLimit: Int { limit }

    // MARK: - Consumer side

    /// The next event: from the buffer, or after waiting for the loop side. Starts the conversation on
    /// the first call.
    func next(isolation: isolated (any Actor)?) async throws(SparkClientError) -> SparkEvent? {
        if Task.isCancelled {
            cancel()
        }
        startIfNeeded()
        if let ready = take() {
            return try ready.get()
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Waiter) in
                park(continuation)
            }
        } onCancel: {
            self.cancel()
        }
        return try result.get()
    }

    /// Ends the stream with ``SparkClientError/cancelled`` (unless it already ended) and closes the
    /// WebSocket with 1000. Safe from any thread.
    func cancel() {
        let (waiter, driver) = state.withLock { state -> (Waiter?, StreamDriver?) in
            switch state.phase {
            case .idle, .running:
                state.phase = .failed(.cancelled)
                state.events.removeAll()
                let waiter = state.waiter
                state.waiter = nil
                return (waiter, state.driver)
            case .finished, .failed, .over:
                return (nil, nil)
            }
        }
        waiter?.resume(returning: .failure(.cancelled))
        if let driver {
            client.loop.execute { driver.cancel() }
        }
    }

    private func startIfNeeded() {
        let start = state.withLock { state -> Bool in
            guard case .idle = state.phase else { return false }
            state.phase = .running
            return true
        }
        guard start else { return }
        let connection: any UpstreamConversation
        let path: String
        do throws(SparkClientError) {
            (connection, path) = try client.makeConversation(for: request)
        } catch {
            finish(error)
            return
        }
        let driver = StreamDriver(connection: connection, path: path, core: self)
        let installed = state.withLock { state -> Bool in
            guard case .running = state.phase else { return false }  // cancelled meanwhile
            state.driver = driver
            return true
        }
        if installed {
            client.loop.execute { driver.start() }
        }
    }

    /// An event, the end (`nil`) or the error when one is ready; `nil` when the consumer must wait.
    private func take() -> Result<SparkEvent?, SparkClientError>? {
        let (ready, resume) = state.withLock { state in
            Self.take(&state, limit: limit)
        }
        if let resume {
            client.loop.execute { resume.resumeReading() }
        }
        return ready
    }

    private func park(_ continuation: Waiter) {
        let (ready, resume) = state.withLock { state -> (Result<SparkEvent?, SparkClientError>?, StreamDriver?) in
            let (ready, resume) = Self.take(&state, limit: limit)
            if ready == nil {
                precondition(state.waiter == nil, "a SparkStream iterator must not be used from two tasks at once")
                state.waiter = continuation
            }
            return (ready, resume)
        }
        if let resume {
            client.loop.execute { resume.resumeReading() }
        }
        if let ready {
            continuation.resume(returning: ready)
        }
    }

    /// Takes what is ready from `state`; also returns the driver to resume when the buffer drained
    /// below half while reading was paused.
    private static func take(_ state: inout State, limit: Int) -> (Result<SparkEvent?, SparkClientError>?, StreamDriver?) {
        if let event = state.events.popFirst() {
            var resume: StreamDriver?
            if state.readingPaused, state.events.count < limit / 2 || state.events.isEmpty {
                state.readingPaused = false
                resume = state.driver
            }
            return (.success(event), resume)
        }
        switch state.phase {
        case .idle, .running:
            return (nil, nil)
        case .finished, .over:
            return (.success(nil), nil)
        case .failed(let error):
            state.phase = .over
            return (.failure(error), nil)
        }
    }

    // MARK: - Loop side

    /// Whether the loop side should be reading (it re-checks before resuming).
    var isReadingPaused: Bool { state.withLock { $0.readingPaused } }

    /// Appends the events of one frame; returns `true` when reading must pause now (the buffer has
    /// no room for another frame). Called on the loop.
    func deliver(_ events: [SparkEvent]) -> Bool {
        guard !events.isEmpty else { return false }
        let (waiter, first, pause) = state.withLock { state -> (Waiter?, SparkEvent?, Bool) in
            guard case .running = state.phase else { return (nil, nil, false) }
            var events = events[...]
            var waiter: Waiter?
            var first: SparkEvent?
            if let parked = state.waiter {
                // A waiting consumer means the buffer is empty: hand it the first event directly.
                waiter = parked
                state.waiter = nil
                first = events.removeFirst()
            }
            state.events.append(contentsOf: events)
            state.maxBufferedCount = max(state.maxBufferedCount, state.events.count)
            var pause = false
            if !state.readingPaused, state.events.count + SparkEvent.maxEventsPerFrame > limit {
                state.readingPaused = true
                state.pauseCount += 1
                pause = true
            }
            return (waiter, first, pause)
        }
        if let waiter, let first {
            waiter.resume(returning: .success(first))
        }
        return pause
    }

    /// The conversation ended: successfully (`nil`) or with `error`. Called on the loop (or on the
    /// consumer's side for an invalid request).
    func finish(_ error: SparkClientError?) {
        let resumption = state.withLock { state -> (Waiter, Result<SparkEvent?, SparkClientError>)? in
            guard case .running = state.phase else { return nil }
            state.phase = error.map { .failed($0) } ?? .finished
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            // A waiting consumer means the buffer is empty, so what is ready is the end itself.
            guard let ready = Self.take(&state, limit: limit).0 else { return nil }
            return (waiter, ready)
        }
        if let (waiter, ready) = resumption {
            waiter.resume(returning: ready)
        }
    }
}
