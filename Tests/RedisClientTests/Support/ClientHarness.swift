import RedisClient
import RelayIO
import RESPCodec
import Testing

/// A `RedisClient` on its own event loop, driven from async tests: every call hops onto the loop
/// and awaits the completion; state changes and pushes are recorded and can be awaited.
final class ClientHarness: RedisClientDelegate, @unchecked Sendable {
    let loop: EventLoop
    let client: RedisClient
    // Touched only on `loop`.
    private var states: [RedisClient.State] = []
    private var pushes: [[RESPValue]] = []
    private var stateWaiters: [(id: Int, predicate: @Sendable ([RedisClient.State]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    private var pushWaiters: [(id: Int, continuation: CheckedContinuation<[RESPValue], Never>)] = []
    private var nextWaiterID = 0
    /// How long a wait for a state or a push may take before the test fails instead of hanging.
    static let waitLimit = 60.0

    init(_ configuration: RedisClientConfiguration) {
        loop = EventLoop(index: 0, label: "redis-test")
        client = RedisClient(configuration: configuration, loop: loop)
        loop.queue.sync { client.delegate = self }
    }

    /// A harness for `redis://127.0.0.1:port` with `configure` applied to the defaults.
    convenience init(port: Int, _ configure: (inout RedisClientConfiguration) -> Void = { _ in }) {
        var configuration = RedisClientConfiguration(url: .make(host: "127.0.0.1", port: port))
        configure(&configuration)
        self.init(configuration)
    }

    func send(_ command: RESPCommand, timeout: Double? = nil) async -> Result<RESPValue, RedisError> {
        await withCheckedContinuation { continuation in
            loop.execute { [client] in client.send(command, timeout: timeout) { continuation.resume(returning: $0) } }
        }
    }

    func send(_ name: String, _ arguments: String...) async -> Result<RESPValue, RedisError> {
        await send(RESPCommand(name, arguments: arguments))
    }

    func pipeline(_ commands: [RESPCommand]) async -> [Result<RESPValue, RedisError>] {
        await withCheckedContinuation { continuation in
            loop.execute { [client] in client.pipeline(commands) { continuation.resume(returning: $0) } }
        }
    }

    /// Sends each command with its own `send` call in one loop turn; completions in call order.
    func sendEach(_ commands: [RESPCommand]) async -> [Result<RESPValue, RedisError>] {
        await withCheckedContinuation { continuation in
            loop.execute { [client] in
                let results = ResultBox(count: commands.count, continuation)
                for command in commands { client.send(command) { results.append($0) } }
            }
        }
    }

    func start() {
        loop.execute { [client] in client.start() }
    }

    func close() {
        loop.queue.sync { client.close() }
    }

    var state: RedisClient.State { loop.queue.sync { client.state } }
    var serverVersion: String? { loop.queue.sync { client.serverVersion } }
    var connectionID: Int64? { loop.queue.sync { client.connectionID } }
    var recordedStates: [RedisClient.State] { loop.queue.sync { states } }

    /// Returns once the client's current state satisfies `predicate` (now or later).
    func waitForState(_ predicate: @escaping @Sendable (RedisClient.State) -> Bool) async {
        await waitForHistory { $0.last.map(predicate) ?? false }
    }

    /// Returns once the states recorded so far satisfy `predicate` (now or later); records a
    /// failure and returns after `waitLimit` seconds otherwise.
    func waitForHistory(_ predicate: @escaping @Sendable ([RedisClient.State]) -> Bool) async {
        await withCheckedContinuation { continuation in
            loop.execute { [self] in
                if predicate(states) {
                    continuation.resume()
                    return
                }
                let id = takeWaiterID()
                stateWaiters.append((id, predicate, continuation))
                _ = loop.schedule(after: Self.waitLimit) { [self] in
                    guard let index = stateWaiters.firstIndex(where: { $0.id == id }) else { return }
                    Issue.record("no matching client state within \(Self.waitLimit) s; states: \(states)")
                    stateWaiters.remove(at: index).continuation.resume()
                }
            }
        }
    }

    private func takeWaiterID() -> Int {
        nextWaiterID += 1
        return nextWaiterID
    }

    /// Submits `command` on the loop before returning (so it is written, or queued, in order);
    /// await the returned stream's first element for the result.
    func sendNow(_ command: RESPCommand, timeout: Double? = nil) -> AsyncStream<Result<RESPValue, RedisError>> {
        let (stream, continuation) = AsyncStream.makeStream(of: Result<RESPValue, RedisError>.self)
        loop.queue.sync {
            client.send(command, timeout: timeout) { result in
                continuation.yield(result)
                continuation.finish()
            }
        }
        return stream
    }

    func waitUntilReady() async {
        await waitForState { $0 == .ready }
    }

    /// The next push frame (or one already received and not yet taken); records a failure and
    /// returns `[]` after `waitLimit` seconds without one.
    func nextPush() async -> [RESPValue] {
        await withCheckedContinuation { continuation in
            loop.execute { [self] in
                guard pushes.isEmpty else {
                    continuation.resume(returning: pushes.removeFirst())
                    return
                }
                let id = takeWaiterID()
                pushWaiters.append((id, continuation))
                _ = loop.schedule(after: Self.waitLimit) { [self] in
                    guard let index = pushWaiters.firstIndex(where: { $0.id == id }) else { return }
                    Issue.record("no push frame within \(Self.waitLimit) s; states: \(states)")
                    pushWaiters.remove(at: index).continuation.resume(returning: [])
                }
            }
        }
    }

    func redisClient(_ client: RedisClient, didChangeState state: RedisClient.State) {
        states.append(state)
        let ready = stateWaiters.filter { $0.predicate(states) }
        stateWaiters.removeAll { $0.predicate(states) }
        for waiter in ready { waiter.continuation.resume() }
    }

    func redisClient(_ client: RedisClient, didReceivePush elements: [RESPValue]) {
        if pushWaiters.isEmpty {
            pushes.append(elements)
        } else {
            pushWaiters.removeFirst().continuation.resume(returning: elements)
        }
    }
}

/// Collects results in completion order; resumes once `count` arrived. Loop-confined.
private final class ResultBox: @unchecked Sendable {
    private var results: [Result<RESPValue, RedisError>] = []
    private let count: Int
    private let continuation: CheckedContinuation<[Result<RESPValue, RedisError>], Never>

    init(count: Int, _ continuation: CheckedContinuation<[Result<RESPValue, RedisError>], Never>) {
        self.count = count
        self.continuation = continuation
    }

    func append(_ result: Result<RESPValue, RedisError>) {
        results.append(result)
        if results.count == count { continuation.resume(returning: results) }
    }
}

extension AsyncStream where Element == Result<RESPValue, RedisError> {
    /// The command's result.
    var result: Element {
        get async {
            for await element in self { return element }
            return .failure(RedisError(.closed, "no result"))
        }
    }
}

extension Result where Success == RESPValue, Failure == RedisError {
    /// The value, or `nil` on failure.
    var value: RESPValue? { try? get() }
    /// The error kind, or `nil` on success.
    var errorKind: RedisError.Kind? {
        if case .failure(let error) = self { return error.kind }
        return nil
    }
}
