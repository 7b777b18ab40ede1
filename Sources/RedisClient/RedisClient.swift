import DequeModule
import Dispatch
import RelayIO
import RESPCodec

/// One Redis connection on a RelayIO event loop, speaking RESP3.
///
/// - Connects (DNS off the loop, TCP, TLS for `rediss://`), then pipelines `HELLO 3 [AUTH user
///   pass] [SETNAME name]` and `SELECT db`; commands sent meanwhile wait (bounded) and go out in
///   one write once the handshake succeeded.
/// - Commands are pipelined: each is written at once (a `pipeline` call writes all of its commands
///   in one write) and replies are matched first-in, first-out. Push frames never match a command:
///   they go to the delegate.
/// - Every command has a deadline. A reply that is late cannot be matched once it is given up on,
///   so a timeout fails that command with `.timeout`, fails the others in flight with
///   `.connectionLost`, and reconnects.
/// - After any failure the client reconnects by itself with exponential backoff (capped, jittered).
///   While it waits, commands fail at once with `.unavailable`: a caller learns that Redis is down
///   without waiting for a timeout.
///
/// Everything happens on `loop`: call every method there; completions and delegate calls run there.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (the public methods check preconditionInEventLoop; connector, channel and timer callbacks run there)
public final class RedisClient: @unchecked Sendable {
    /// Where the connection stands.
    public enum State: Sendable, Equatable {
        /// Created; `start()` or the first command connects.
        case idle
        /// Connecting or in the `HELLO` handshake.
        case connecting
        /// Handshake done; commands are sent at once.
        case ready
        /// The last attempt or connection failed with this error; a reconnect is scheduled.
        case waitingToReconnect(RedisError)
        /// Closed by `close()`; final.
        case closed
    }

    /// Receives one command's reply: the value, or why there is none. A server error reply
    /// (`-ERR …`) arrives as `.failure` with kind `.server`.
    public typealias Completion = (Result<RESPValue, RedisError>) -> Void

    /// The loop everything runs on.
    public let loop: EventLoop
    /// Server, bounds and timeouts.
    public let configuration: RedisClientConfiguration
    /// Receives state changes and pushes; held weakly.
    public weak var delegate: (any RedisClientDelegate)?
    /// The current state.
    public private(set) var state = State.idle
    /// The `version` field of the server's `HELLO` reply, once connected.
    public private(set) var serverVersion: String?
    /// The server's id for the current connection (`HELLO`'s `id`, what `CLIENT ID` returns), for
    /// `CLIENT UNBLOCK` from another connection; `nil` until connected. Changes on reconnect.
    public private(set) var connectionID: Int64?

    private enum Connection {
        case none
        case connecting(Connector)
        case handshaking(StreamChannel)
        case ready(StreamChannel)
    }

    private struct Pending {
        enum Purpose {
            case user(Completion)
            case hello
            case select
        }
        var purpose: Purpose
        /// Monotonic nanoseconds.
        var deadline: UInt64
    }

    private var connection = Connection.none
    /// Bumped whenever a connection is dropped, so callbacks from an old one are ignored.
    private var generation = 0
    private var decoder: RESPDecoder
    /// Written, awaiting replies in order.
    private var inFlight = Deque<Pending>()
    /// Waiting for the connection to become ready: encoded command and its pending entry.
    private var queued = Deque<(bytes: [UInt8], pending: Pending)>()
    private var deadlineTimer: LoopDeadlineTimer?
    /// The deadline the timer is armed for, if armed.
    private var armedDeadline: UInt64?
    private var reconnectTimer: LoopTimer?
    private var reconnectAttempt = 0
    private var tlsContext: TLSContext?

    /// A client for `configuration`; nothing happens until `start()` or the first command.
    public init(configuration: RedisClientConfiguration, loop: EventLoop) {
        self.configuration = configuration
        self.loop = loop
        self.decoder = RESPDecoder(limits: configuration.decoderLimits)
    }

    /// Commands sent or queued and not yet answered.
    public var pendingCount: Int { inFlight.count + queued.count }

    /// Starts connecting (no-op unless idle).
    public func start() {
        loop.preconditionInEventLoop()
        guard case .idle = state else { return }
        connect()
    }

    /// Sends `command`; `completion` runs on the loop exactly once. `timeout` overrides
    /// `configuration.commandTimeout` (give blocking commands such as `XREAD BLOCK` more).
    public func send(_ command: RESPCommand, timeout: Double? = nil, completion: @escaping Completion) {
        loop.preconditionInEventLoop()
        submit([command], timeout: timeout, completions: [completion])
    }

    /// Sends `commands` in one write; `completion` gets their results in order once all are in.
    public func pipeline(_ commands: [RESPCommand], timeout: Double? = nil,
                         completion: @escaping ([Result<RESPValue, RedisError>]) -> Void) {
        loop.preconditionInEventLoop()
        guard !commands.isEmpty else {
            completion([])
            return
        }
        let collector = PipelineCollector(count: commands.count, completion: completion)
        submit(commands, timeout: timeout, completions: commands.indices.map { index in
            { result in collector.set(index, result) }
        })
    }

    /// Closes the connection for good: pending commands fail with `.closed`, no reconnect.
    public func close() {
        loop.preconditionInEventLoop()
        guard state != .closed else { return }
        reconnectTimer?.cancel()
        reconnectTimer = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        dropConnection()
        failAll(RedisError(.closed, "the Redis client for \(endpoint) was closed"))
        setState(.closed)
    }

    // MARK: - Submitting

    private var endpoint: String { "\(configuration.url.host):\(configuration.url.port)" }

    private func submit(_ commands: [RESPCommand], timeout: Double?, completions: [Completion]) {
        let refusal: RedisError?
        switch state {
        case .closed:
            refusal = RedisError(.closed, "the Redis client for \(endpoint) is closed")
        case .waitingToReconnect(let error):
            refusal = RedisError(.unavailable, "Redis at \(endpoint) is unavailable (\(error.message)); reconnecting")
        default:
            refusal = pendingCount + commands.count > configuration.maxInFlight
                ? RedisError(.tooManyInFlight, "\(configuration.maxInFlight) Redis commands are already waiting for \(endpoint)")
                : nil
        }
        if let refusal {
            for completion in completions { completion(.failure(refusal)) }
            return
        }
        let deadline = Self.now() &+ Self.nanoseconds(timeout ?? configuration.commandTimeout)
        if case .ready(let channel) = connection {
            var bytes: [UInt8] = []
            for (command, completion) in zip(commands, completions) {
                RESPEncoder.encode(command, into: &bytes)
                inFlight.append(Pending(purpose: .user(completion), deadline: deadline))
            }
            channel.write(bytes)
        } else {
            for (command, completion) in zip(commands, completions) {
                queued.append((RESPEncoder.encode(command), Pending(purpose: .user(completion), deadline: deadline)))
            }
            if case .idle = state { connect() }
        }
        armDeadline(deadline)
    }

    // MARK: - Connecting

    private func connect() {
        setState(.connecting)
        // The delegate may have closed the client from inside the state change.
        guard state == .connecting else { return }
        let url = configuration.url
        var tls: TLSContext?
        if url.isSecure {
            if tlsContext == nil {
                do throws(TransportError) {
                    tlsContext = try TLSContext(clientWithCAFile: configuration.caFile)
                } catch {
                    connectionFailed(RedisError(.connect(.tls), "TLS setup for \(endpoint) failed: \(error)"))
                    return
                }
            }
            tls = tlsContext
        }
        let attempt = generation
        let connector = Connector.connect(
            host: url.host, port: url.port, tls: tls, serverName: url.host, on: loop,
            connectTimeout: configuration.connectTimeout, tlsTimeout: configuration.tlsHandshakeTimeout
        ) { [self] result in
            guard attempt == generation, case .connecting = connection else { return }
            switch result {
            case .success(let transport):
                startHandshake(transport)
            case .failure(let error):
                connection = .none
                connectionFailed(RedisError(.connect(error.kind), "cannot connect to Redis at \(endpoint): \(error.message)"))
            }
        }
        connection = .connecting(connector)
    }

    private func startHandshake(_ transport: any Transport) {
        let channel = StreamChannel(transport: transport, loop: loop, highWatermark: configuration.writeBufferBytes)
        channel.delegate = self
        connection = .handshaking(channel)
        decoder = RESPDecoder(limits: configuration.decoderLimits)
        channel.start()

        let url = configuration.url
        var hello = RESPCommand("HELLO", "3")
        if let password = url.password {
            hello.append("AUTH")
            hello.append(url.user ?? "default")
            hello.append(password)
        }
        if let name = configuration.clientName {
            hello.append("SETNAME")
            hello.append(name)
        }
        let deadline = Self.now() &+ Self.nanoseconds(configuration.commandTimeout)
        var bytes = RESPEncoder.encode(hello)
        inFlight.append(Pending(purpose: .hello, deadline: deadline))
        if url.database != 0 {
            RESPEncoder.encode(RESPCommand("SELECT", String(url.database)), into: &bytes)
            inFlight.append(Pending(purpose: .select, deadline: deadline))
        }
        channel.write(bytes)
        armDeadline(deadline)
    }

    private func handshakeSucceeded(_ channel: StreamChannel) {
        connection = .ready(channel)
        reconnectAttempt = 0
        setState(.ready)
        guard case .ready = connection, !queued.isEmpty else { return }
        var bytes: [UInt8] = []
        while let (encoded, pending) = queued.popFirst() {
            bytes.append(contentsOf: encoded)
            inFlight.append(pending)
        }
        channel.write(bytes)
    }

    // MARK: - Replies

    private func processReplies(_ channel: StreamChannel) {
        let current = generation
        while generation == current {
            let value: RESPValue
            do throws(RESPDecodingError) {
                guard let next = try decoder.next() else { return }
                value = next
            } catch {
                connectionFailed(RedisError(.protocolViolation(error.kind), "invalid reply from Redis at \(endpoint): \(error)"))
                return
            }
            if case .push(let elements) = value {
                delegate?.redisClient(self, didReceivePush: elements)
                continue
            }
            guard let pending = inFlight.popFirst() else {
                connectionFailed(RedisError(.protocolViolation(.unknownType), "Redis at \(endpoint) sent a reply nobody asked for"))
                return
            }
            switch pending.purpose {
            case .user(let completion):
                if let message = value.errorMessage {
                    completion(.failure(RedisError(.server, message)))
                } else {
                    completion(.success(value))
                }
            case .hello:
                if let message = value.errorMessage {
                    connectionFailed(Self.helloError(message, endpoint: endpoint))
                    return
                }
                serverVersion = Self.field("version", of: value)?.string
                connectionID = Self.field("id", of: value)?.integer
                if inFlight.first.map({ if case .select = $0.purpose { true } else { false } }) != true {
                    handshakeSucceeded(channel)
                }
            case .select:
                if let message = value.errorMessage {
                    connectionFailed(RedisError(.handshake, "SELECT \(configuration.url.database) on Redis at \(endpoint) failed: \(message)"))
                    return
                }
                handshakeSucceeded(channel)
            }
        }
    }

    /// Classifies a failed `HELLO`: credentials, or a server that cannot speak RESP3.
    static func helloError(_ message: String, endpoint: String) -> RedisError {
        let code = message.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        if code == "WRONGPASS" || code == "NOAUTH" || message.contains("invalid password") || message.contains("invalid username-password") {
            return RedisError(.authentication, "Redis at \(endpoint) refused the credentials: \(message)")
        }
        return RedisError(.handshake, "HELLO 3 on Redis at \(endpoint) failed (Redis 6 or newer is needed): \(message)")
    }

    private static func field(_ name: String, of hello: RESPValue) -> RESPValue? {
        guard case .map(let pairs) = hello else { return nil }
        return pairs.first { $0.key.string == name }?.value
    }

    // MARK: - Failure and reconnect

    /// Drops the connection, fails what was in flight, and schedules a reconnect.
    private func connectionFailed(_ error: RedisError) {
        guard state != .closed else { return }
        dropConnection()
        let sent = inFlight
        let waiting = queued
        inFlight.removeAll()
        queued.removeAll()
        // The state says "reconnecting" before any completion runs, so a caller reacting to the
        // failure sees the truth (and a new command fails fast instead of queueing).
        let delay = configuration.reconnectDelay(attempt: reconnectAttempt, jitter: Double.random(in: 0.5...1))
        reconnectAttempt += 1
        reconnectTimer?.cancel()
        reconnectTimer = loop.schedule(after: delay) { [weak self] in
            guard let self, case .waitingToReconnect = state else { return }
            reconnectTimer = nil
            connect()
        }
        setState(.waitingToReconnect(error))

        // Sent commands may or may not have run; only the ones whose own deadline passed timed out.
        let lost = RedisError(.connectionLost, error.kind == .timeout
                              ? "the Redis connection to \(endpoint) was reset after another command timed out"
                              : "the Redis connection to \(endpoint) was lost: \(error.message)")
        let now = Self.now()
        var first = true
        for pending in sent {
            defer { first = false }
            guard case .user(let completion) = pending.purpose else { continue }
            switch error.kind {
            case .timeout where pending.deadline <= now:
                completion(.failure(error))
            case .protocolViolation where first:
                // The oldest command's reply is the one that broke the protocol.
                completion(.failure(error))
            default:
                completion(.failure(lost))
            }
        }
        // Queued commands were never sent: they fail with the cause itself.
        for (_, pending) in waiting {
            if case .user(let completion) = pending.purpose { completion(.failure(error)) }
        }
    }

    /// Closes the socket or abandons the connect; callbacks from it are ignored from here on.
    private func dropConnection() {
        generation += 1
        connectionID = nil
        let old = connection
        connection = .none
        switch old {
        case .none: break
        case .connecting(let connector): connector.cancel()
        case .handshaking(let channel), .ready(let channel):
            channel.delegate = nil
            channel.close()
        }
        decoder = RESPDecoder(limits: configuration.decoderLimits)
    }

    private func failAll(_ error: RedisError) {
        let sent = inFlight
        let waiting = queued
        inFlight.removeAll()
        queued.removeAll()
        for pending in sent {
            if case .user(let completion) = pending.purpose { completion(.failure(error)) }
        }
        for (_, pending) in waiting {
            if case .user(let completion) = pending.purpose { completion(.failure(error)) }
        }
    }

    private func setState(_ newState: State) {
        guard newState != state else { return }
        state = newState
        delegate?.redisClient(self, didChangeState: newState)
    }

    // MARK: - Deadlines

    private func armDeadline(_ deadline: UInt64) {
        if let armedDeadline, armedDeadline <= deadline { return }
        if deadlineTimer == nil {
            deadlineTimer = LoopDeadlineTimer(loop: loop) { [weak self] in self?.deadlinePassed() }
        }
        armedDeadline = deadline
        let now = Self.now()
        deadlineTimer?.arm(after: deadline > now ? Double(deadline - now) / 1e9 : 0)
    }

    private func deadlinePassed() {
        armedDeadline = nil
        let now = Self.now()
        // Queued commands were never sent: fail the late ones alone.
        if queued.contains(where: { $0.pending.deadline <= now }) {
            var kept = Deque<(bytes: [UInt8], pending: Pending)>()
            var late: [Completion] = []
            for entry in queued {
                if entry.pending.deadline <= now, case .user(let completion) = entry.pending.purpose {
                    late.append(completion)
                } else {
                    kept.append(entry)
                }
            }
            queued = kept
            let error = RedisError(.timeout, "no connection to Redis at \(endpoint) within the command timeout")
            for completion in late { completion(.failure(error)) }
        }
        if let expired = inFlight.first(where: { $0.deadline <= now }) {
            let what = if case .user = expired.purpose { "a command" } else { "the HELLO handshake" }
            connectionFailed(RedisError(.timeout, "Redis at \(endpoint) did not answer \(what) in time"))
        }
        let next = (inFlight.map(\.deadline) + queued.map(\.pending.deadline)).min()
        if let next { armDeadline(next) }
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Seconds as nanoseconds, clamped to 0…10⁹ s so a huge configured timeout cannot trap.
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard seconds.isFinite else { return seconds > 0 ? 1_000_000_000 * 1_000_000_000 : 0 }
        return UInt64(min(max(0, seconds), 1_000_000_000) * 1_000_000_000)
    }
}

extension RedisClient: StreamChannelDelegate {
    public func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        switch connection {
        case .handshaking(let current) where current === channel, .ready(let current) where current === channel:
            decoder.append(bytes)
            processReplies(channel)
        default:
            break
        }
    }

    public func channelDidReadEndOfStream(_ channel: StreamChannel) {
        guard isCurrent(channel) else { return }
        connectionFailed(RedisError(.connectionLost, "Redis at \(endpoint) closed the connection"))
    }

    public func channelBecameWritable(_ channel: StreamChannel) {}

    public func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        guard isCurrent(channel) else { return }
        let reason = error.map { ": \($0)" } ?? ""
        connectionFailed(RedisError(.connectionLost, "the connection to Redis at \(endpoint) broke\(reason)"))
    }

    private func isCurrent(_ channel: StreamChannel) -> Bool {
        switch connection {
        case .handshaking(let current), .ready(let current): current === channel
        default: false
        }
    }
}

/// Gathers the results of one `pipeline` call; only touched on the client's loop.
private final class PipelineCollector {
    private var results: [Result<RESPValue, RedisError>?]
    private var missing: Int
    private let completion: ([Result<RESPValue, RedisError>]) -> Void

    init(count: Int, completion: @escaping ([Result<RESPValue, RedisError>]) -> Void) {
        self.results = Array(repeating: nil, count: count)
        self.missing = count
        self.completion = completion
    }

    func set(_ index: Int, _ result: Result<RESPValue, RedisError>) {
        guard results[index] == nil else { return }
        results[index] = result
        missing -= 1
        if missing == 0 { completion(results.map { $0! }) }
    }
}
