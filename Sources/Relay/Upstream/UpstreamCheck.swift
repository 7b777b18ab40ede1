import Dispatch
import Glibc
import RelayIO
import SparkCodec
import SparkUpstream
import Synchronization

/// `spark-relay check`: one real handshake and a one-token request against the configured upstream,
/// with a diagnosis of what failed. Blocks the calling thread (never call it on an event loop).
public enum UpstreamCheck {
    /// The outcome: success, or the diagnosis.
    public struct Outcome: Sendable, Equatable {
        public var succeeded: Bool
        public var summary: String
    }

    public static func run(settings: UpstreamSettings, modelName: String, timeout: Double = 90) -> Outcome {
        guard let model = settings.models.model(named: modelName) else {
            let names = settings.models.models.map(\.name).joined(separator: ", ")
            return Outcome(succeeded: false, summary: "unknown model '\(modelName)'; configured models: \(names)")
        }
        let loop = EventLoop(index: 0, label: "spark-relay.check")
        let request = SparkChatRequest(appID: settings.credentials.appID, uid: "spark-relay-check", domain: model.domain,
                                       maxTokens: 1, messages: [SparkChatMessage(role: .user, content: "ping")])
        let done = DispatchSemaphore(value: 0)
        let observer = Observer { done.signal() }
        let connection = settings.makeConnection(model: model, request: request, loop: loop)
        let endpoint = model.endpoint(on: settings.base)
        loop.execute {
            connection.delegate = observer
            connection.start()
        }
        guard done.wait(timeout: .now() + timeout) == .success else {
            loop.execute { connection.cancel() }
            return Outcome(succeeded: false, summary: "no answer from \(endpoint) within \(Int(timeout)) s")
        }
        let result = observer.result
        if let error = result.error {
            let sid = error.sid.map { " (sid \($0))" } ?? ""
            return Outcome(succeeded: false, summary: "\(endpoint) model \(model.name): \(error.message)\(sid)")
        }
        let sid = result.sid ?? "-"
        return Outcome(succeeded: true, summary: "OK: \(endpoint) accepted the credentials (app \(settings.credentials.appID)) and answered for model \(model.name) (sid \(sid), \(result.frames) frame(s))")
    }

    /// Written on the connection's loop, read by the waiting thread once `onDone` ran.
    private final class Observer: SparkConnectionDelegate, Sendable {
        struct Result {
            var error: SparkUpstreamError?
            var frames = 0
            var sid: String?
        }

        private let onDone: @Sendable () -> Void
        private let state = Mutex(Result())

        init(onDone: @escaping @Sendable () -> Void) {
            self.onDone = onDone
        }

        var result: Result { state.withLock { $0 } }

        func sparkConnection(_ connection: SparkConnection, didReceive frame: SparkResponseFrame) {
            let sid = frame.sid
            state.withLock { result in
                result.frames += 1
                result.sid = sid ?? result.sid
            }
        }

        func sparkConnection(_ connection: SparkConnection, didFinishWith error: SparkUpstreamError?) {
            state.withLock { $0.error = error }
            onDone()
        }
    }
}
