import HTTPClient
import HTTPCodec
import RelayIO
#if canImport(Glibc)
import Glibc
#endif

/// A task delegate that records every event under a lock, for the test thread to wait on. Optional
/// hooks run on the loop inside the callbacks (to pause, cancel or start another request there).
final class Recorder: HTTPClientTaskDelegate, @unchecked Sendable {
    struct Events: Sendable {
        var head: HTTPResponseHeadParsed?
        var bodyPieces: [[UInt8]] = []
        var finishCount = 0
        var error: HTTPClientError?
        var body: [UInt8] { bodyPieces.flatMap { $0 } }
        var text: String { String(decoding: body, as: UTF8.self) }
        var bodyByteCount: Int { bodyPieces.reduce(0) { $0 + $1.count } }
        var callbackCount: Int { (head == nil ? 0 : 1) + bodyPieces.count + finishCount }
    }

    private let lock = ConditionLock()
    private var events = Events()
    /// Runs on the loop after each body piece is recorded.
    var onBody: ((HTTPClientTask, [UInt8]) -> Void)?
    /// Runs on the loop after the end is recorded.
    var onFinish: ((HTTPClientTask, HTTPClientError?) -> Void)?

    /// The events so far.
    var snapshot: Events { lock.withLock { events } }

    /// Waits until `predicate` holds (at most `timeout` seconds).
    func waitUntil(timeout: Double = 10, _ predicate: (Events) -> Bool) -> Bool {
        lock.wait(timeout: timeout) { predicate(events) }
    }

    /// Waits for `didFinishWith`; the events then.
    @discardableResult
    func waitForFinish(timeout: Double = 10) -> Events? {
        waitUntil(timeout: timeout) { $0.finishCount > 0 } ? snapshot : nil
    }

    func httpClientTask(_ task: HTTPClientTask, didReceiveHead head: HTTPResponseHeadParsed) {
        lock.update { events.head = head }
    }

    func httpClientTask(_ task: HTTPClientTask, didReceiveBody bytes: [UInt8]) {
        lock.update { events.bodyPieces.append(bytes) }
        onBody?(task, bytes)
    }

    func httpClientTask(_ task: HTTPClientTask, didFinishWith error: HTTPClientError?) {
        lock.update {
            events.finishCount += 1
            events.error = error
        }
        onFinish?(task, error)
    }
}

/// One client on its own loop, driven from the test thread.
final class ClientHarness: @unchecked Sendable {
    let group = EventLoopGroup(count: 1, label: "http-client-test")
    var loop: EventLoop { group.loops[0] }
    let client: HTTPClient

    init(tls: TLSContext? = nil, configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        client = HTTPClient(loop: group.loops[0], tls: tls, configuration: configuration)
    }

    /// Runs `body` on the loop and returns its result.
    func onLoop<T>(_ body: () -> T) -> T {
        loop.queue.sync(execute: body)
    }

    /// Starts a request on the loop.
    @discardableResult
    func execute(_ request: HTTPClientRequest, on origin: HTTPClientOrigin, _ recorder: Recorder) -> HTTPClientTask {
        onLoop { client.execute(request, on: origin, delegate: recorder) }
    }

    /// Runs one request to the end and returns the task and its events.
    func run(_ request: HTTPClientRequest, on origin: HTTPClientOrigin, timeout: Double = 10) -> (HTTPClientTask, Recorder.Events?) {
        let recorder = Recorder()
        let task = execute(request, on: origin, recorder)
        return (task, recorder.waitForFinish(timeout: timeout))
    }

    func idleCount(_ origin: HTTPClientOrigin) -> Int {
        onLoop { client.idleConnectionCount(for: origin) }
    }

    func stop() {
        onLoop { client.shutdown() }
    }
}

/// Polls `condition` (on the caller's thread) until it holds or `timeout` passes, for state that
/// raises no event the test could wait on (a pooled connection noticed closed).
func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}
