import HTTPClient
import HTTPCodec
import RelayIO
import Synchronization

/// Sends ended spans to an OpenTelemetry collector with OTLP/HTTP (JSON bodies, `POST` to the
/// configured endpoint, `Content-Type: application/json`, plus the configured header fields), in
/// batches, over the project's `HTTPClient` on an event loop of its own or a given one.
///
/// The producer side, `export`, appends to a bounded queue under a lock held for the append only,
/// and returns: when the queue holds `queueCapacity` spans (the collector is slow or down) the span
/// is dropped and counted. It never waits for the loop, for I/O, or for an export.
///
/// On the loop, one request at a time: a batch of up to `maxBatchSize` spans goes as soon as that
/// many are queued, else `flushInterval` after the first of them was queued. A request that fails
/// (no connection, no complete answer within `requestTimeout`, a non-2xx status) is counted with its
/// spans and not retried. `statistics` tells what was exported, dropped and failed.
// @unchecked: the queue and counters are behind `shared`'s lock; `client` and `inFlight` are touched only on `loop`
public final class OTLPHTTPExporter: SpanExporter, @unchecked Sendable {
    /// The settings it was made with.
    public let configuration: OTLPExporterConfiguration
    /// The loop its requests and timers run on.
    public let loop: EventLoop
    private let encoder: OTLPJSONEncoder
    private let tls: TLSContext?
    private let shared: Mutex<SharedState>
    // Loop-confined.
    private var client: HTTPClient?
    private var inFlight: OTLPExportRequest?
    private var shutdownFinished = false
    /// `false` when the client was given: then `shutdown` leaves it open.
    private var ownsClient = true

    /// The queue and what the loop and the producers tell each other through it.
    private struct SharedState {
        var queue: [SpanRecord] = []
        var statistics = OTLPExporterStatistics()
        /// A producer has queued a call of `pump` for a full batch that has not run yet.
        var wakeScheduled = false
        /// A flush-interval timer is pending.
        var timerArmed = false
        /// The flush interval ran out while a request was under way: send the next batch whatever its size.
        var overdue = false
        /// Send batches until the queue is empty (`flush`, `shutdown`).
        var flushRequested = false
        var flushWaiters: [@Sendable () -> Void] = []
        var isShutdown = false
    }

    /// What a call of `pump` does after looking at the queue.
    private enum PumpStep {
        case send([SpanRecord])
        case armTimer
        case flushed([@Sendable () -> Void])
        case nothing
    }

    /// An exporter for `configuration`. `loop`: the loop to run on (`nil`: a loop of its own).
    /// `tls`: the client TLS context for an `https` endpoint (`nil`: one trusting the system's
    /// certificate authorities is made). Throws only when that context cannot be made.
    public init(configuration: OTLPExporterConfiguration, loop: EventLoop? = nil, tls: TLSContext? = nil) throws(TransportError) {
        self.configuration = configuration
        self.loop = loop ?? EventLoop(index: 0, label: "relay-tracing.otlp")
        self.encoder = OTLPJSONEncoder(serviceName: configuration.serviceName, resourceAttributes: configuration.resourceAttributes,
                                       scopeName: configuration.scopeName)
        if configuration.endpoint.origin.isSecure, tls == nil {
            self.tls = try TLSContext(clientWithCAFile: nil)
        } else {
            self.tls = tls
        }
        self.shared = Mutex(SharedState())
    }

    /// An exporter sending through `client` (the one `HTTPClient` of a loop the caller already
    /// runs) on the client's loop. The client's own timeouts still apply; `requestTimeout` bounds
    /// each export whatever they are. `shutdown` leaves the client open.
    public init(configuration: OTLPExporterConfiguration, client: HTTPClient) {
        self.configuration = configuration
        self.loop = client.loop
        self.encoder = OTLPJSONEncoder(serviceName: configuration.serviceName, resourceAttributes: configuration.resourceAttributes,
                                       scopeName: configuration.scopeName)
        self.tls = nil
        self.shared = Mutex(SharedState())
        self.client = client
        self.ownsClient = false
    }

    /// The counts so far and the queue's length now.
    public var statistics: OTLPExporterStatistics {
        shared.withLock { state in
            var statistics = state.statistics
            statistics.queuedSpans = state.queue.count
            return statistics
        }
    }

    // MARK: - Producer side (any thread)

    public func export(_ record: SpanRecord) {
        let capacity = configuration.queueCapacity
        let batchSize = max(1, configuration.maxBatchSize)
        let wake: Bool? = shared.withLock { state in
            guard !state.isShutdown, state.queue.count < capacity else {
                state.statistics.droppedSpans += 1
                return nil
            }
            state.queue.append(record)
            if state.queue.count >= batchSize {
                guard !state.wakeScheduled else { return nil }
                state.wakeScheduled = true
                return true
            }
            guard !state.timerArmed else { return nil }
            state.timerArmed = true
            return false
        }
        switch wake {
        case true?: loop.execute { self.pump() }
        case false?: loop.schedule(after: configuration.flushInterval) { self.pump(timerFired: true) }
        case nil: break
        }
    }

    public func forceFlush() {
        flush {}
    }

    /// Sends everything queued now, in batches, without waiting for the flush interval; `completion`
    /// runs on the loop once the queue is empty and no request is under way. Returns at once.
    public func flush(_ completion: @escaping @Sendable () -> Void) {
        shared.withLock { state in
            state.flushRequested = true
            state.flushWaiters.append(completion)
        }
        loop.execute { self.pump() }
    }

    /// Stops taking spans (later ones are dropped and counted), sends what is queued for at most
    /// `shutdownTimeout` seconds, then drops what is left, closes the client's connections and runs
    /// `completion` on the loop. Returns at once.
    public func shutdown(_ completion: @escaping @Sendable () -> Void) {
        shared.withLock { $0.isShutdown = true }
        // Runs on the loop, from the deadline or from the end of the flush, whichever comes first.
        let finish: @Sendable () -> Void = { [self] in
            guard !shutdownFinished else { return }
            shutdownFinished = true
            abandonRemaining()
            if ownsClient { client?.shutdown() }
            completion()
        }
        let deadline = loop.schedule(after: configuration.shutdownTimeout, finish)
        flush {
            deadline.cancel()
            finish()
        }
    }

    // MARK: - Loop side

    /// Sends the next batch if one is due and no request is under way, arms the flush timer for a
    /// partial batch, or tells flush waiters that the queue is empty.
    private func pump(timerFired: Bool = false) {
        loop.preconditionInEventLoop()
        let busy = inFlight != nil
        let batchSize = max(1, configuration.maxBatchSize)
        let step: PumpStep = shared.withLock { state in
            if timerFired {
                state.timerArmed = false
                state.overdue = true
            }
            // While a request is under way its end calls this again; a producer's wake stays pending until then.
            guard !busy else { return .nothing }
            state.wakeScheduled = false
            if state.queue.isEmpty {
                state.overdue = false
                state.flushRequested = false
                let waiters = state.flushWaiters
                state.flushWaiters = []
                return waiters.isEmpty ? .nothing : .flushed(waiters)
            }
            if state.overdue || state.flushRequested || state.queue.count >= batchSize {
                state.overdue = false
                let count = min(batchSize, state.queue.count)
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return .send(batch)
            }
            guard !state.timerArmed else { return .nothing }
            state.timerArmed = true
            return .armTimer
        }
        switch step {
        case .send(let batch): send(batch)
        case .armTimer: loop.schedule(after: configuration.flushInterval) { self.pump(timerFired: true) }
        case .flushed(let waiters): for waiter in waiters { waiter() }
        case .nothing: break
        }
    }

    private func send(_ batch: [SpanRecord]) {
        let client = self.client ?? makeClient()
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        headers += configuration.headers.filter { $0.0.lowercased() != "content-type" }
        let request = HTTPClientRequest(method: .post, path: configuration.endpoint.path, headers: headers, body: encoder.encode(batch))
        let export = OTLPExportRequest(spanCount: batch.count) { [self] succeeded, spanCount in
            finished(spanCount: spanCount, succeeded: succeeded)
        }
        inFlight = export
        export.task = client.execute(request, on: configuration.endpoint.origin, delegate: export)
        export.timer = loop.schedule(after: configuration.requestTimeout) { [weak export] in export?.timeOut() }
    }

    private func finished(spanCount: Int, succeeded: Bool) {
        inFlight = nil
        shared.withLock { state in
            if succeeded {
                state.statistics.exportedSpans += spanCount
                state.statistics.successfulExports += 1
            } else {
                state.statistics.failedSpans += spanCount
                state.statistics.failedExports += 1
            }
        }
        pump()
    }

    /// At the shutdown deadline: abandons the request under way and drops what is still queued.
    private func abandonRemaining() {
        let waiters: [@Sendable () -> Void] = shared.withLock { state in
            state.statistics.droppedSpans += state.queue.count
            state.queue.removeAll()
            state.flushRequested = false
            let waiters = state.flushWaiters
            state.flushWaiters = []
            return waiters
        }
        inFlight?.timeOut()
        for waiter in waiters { waiter() }
    }

    private func makeClient() -> HTTPClient {
        var clientConfiguration = HTTPClientConfiguration()
        clientConfiguration.connectTimeout = configuration.requestTimeout
        clientConfiguration.tlsHandshakeTimeout = configuration.requestTimeout
        clientConfiguration.readTimeout = configuration.requestTimeout
        clientConfiguration.maxBodyBytes = configuration.maxResponseBytes
        clientConfiguration.maxIdleConnectionsPerHost = 1
        let client = HTTPClient(loop: loop, tls: tls, configuration: clientConfiguration)
        self.client = client
        return client
    }
}

/// One export request under way: its response status, its timeout, and exactly one report of how
/// it ended. Loop-confined.
// @unchecked: confined to the exporter's loop (delegate callbacks, the timer and `timeOut` run there)
final class OTLPExportRequest: HTTPClientTaskDelegate, @unchecked Sendable {
    let spanCount: Int
    var task: HTTPClientTask?
    var timer: LoopTimer?
    private var status: Int?
    private var reported = false
    private let report: (_ succeeded: Bool, _ spanCount: Int) -> Void

    init(spanCount: Int, report: @escaping (_ succeeded: Bool, _ spanCount: Int) -> Void) {
        self.spanCount = spanCount
        self.report = report
    }

    func httpClientTask(_ task: HTTPClientTask, didReceiveHead head: HTTPResponseHeadParsed) {
        status = head.status
    }

    func httpClientTask(_ task: HTTPClientTask, didReceiveBody bytes: [UInt8]) {}

    func httpClientTask(_ task: HTTPClientTask, didFinishWith error: HTTPClientError?) {
        end(succeeded: error == nil && (200..<300).contains(status ?? 0))
    }

    /// Abandons the request (the timeout ran out, or the exporter is shutting down).
    func timeOut() {
        task?.cancel()
        end(succeeded: false)
    }

    private func end(succeeded: Bool) {
        guard !reported else { return }
        reported = true
        timer?.cancel()
        timer = nil
        task = nil
        report(succeeded, spanCount)
    }
}
