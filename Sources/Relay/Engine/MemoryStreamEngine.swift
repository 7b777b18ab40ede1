import HTTPCodec
import RelayIO

/// `cluster.engine = memory`: one relay, everything in the process. Tickets and replay stay in
/// `StreamRegistry`/`ReplayBuffer` (the handlers use them directly when `sharesStreams` is false),
/// so this engine shares nothing and is never degraded.
final class MemoryStreamEngine: StreamEngine {
    var kind: ClusterEngineKind { .memory }
    var isDegraded: Bool { false }
    var sharesStreams: Bool { false }

    func createTicket(id: String, ticket: StreamTicket, on loop: EventLoop, _ done: @escaping (Result<Void, APIError>) -> Void) {
        done(.success(()))
    }

    func claim(id: String, on loop: EventLoop, _ done: @escaping (Result<StreamClaim, APIError>) -> Void) {
        done(.success(.unknown))
    }

    func makeLogWriter(streamID: String, loop: EventLoop) -> (any StreamLogWriter)? { nil }

    func hasRemoteReader(streamID: String, on loop: EventLoop, _ done: @escaping (Bool) -> Void) {
        done(false)
    }

    func follow(streamID: String, owner: String, after: Int, subscriber: StreamSubscriber, headers: HTTPHeaders) {
        subscriber.begin(headers: headers)
        subscriber.end()
    }

    func start() {}

    func waitForOwnedStreams(timeout: Double) {}

    func shutdown() {}
}
