import Dispatch
import Glibc
import RelayIO
import SparkCodec
import SparkUpstream
import Synchronization

/// `spark-relay check`: one real request with a one-token answer per protocol in use (the signed
/// WebSocket handshake, or a `POST` to the HTTP API), with a diagnosis of what failed (bad
/// password or signature, unknown model, licence). Blocks the calling thread (never call it on an
/// event loop).
public enum UpstreamCheck {
    /// The outcome: success, or the diagnosis.
    public struct Outcome: Sendable, Equatable {
        public var succeeded: Bool
        public var summary: String
    }

    /// One model per protocol the table uses: `lite` (free on Spark) when it uses that protocol,
    /// else the default model when it does, else the first that does.
    public static func models(toCheck settings: UpstreamSettings, defaultModel: String) -> [SparkModel] {
        settings.protocolsInUse.compactMap { wanted in
            let candidates = settings.models.models.filter { $0.upstreamProtocol == wanted }
            return candidates.first { $0.name == "lite" } ?? candidates.first { $0.name == defaultModel } ?? candidates.first
        }
    }

    /// Which credentials a protocol uses, without revealing any secret.
    public static func credentialSummary(_ credentials: SparkCredentials, for sparkProtocol: SparkProtocol) -> String {
        switch sparkProtocol {
        case .websocket: "app \(credentials.appID) (key \(credentials.apiKeyPrefix))"
        case .http: credentials.apiPassword != nil ? "the API password" : "key \(credentials.apiKeyPrefix) and its secret"
        }
    }

    /// `run(settings:model:)` for a model named by the user; an unknown name is a failed outcome.
    public static func run(settings: UpstreamSettings, modelName: String, timeout: Double = 90) -> Outcome {
        guard let model = settings.models.model(named: modelName) else {
            let names = settings.models.models.map(\.name).joined(separator: ", ")
            return Outcome(succeeded: false, summary: "unknown model '\(modelName)'; configured models: \(names)")
        }
        return run(settings: settings, model: model, timeout: timeout)
    }

    public static func run(settings: UpstreamSettings, model: SparkModel, timeout: Double = 90) -> Outcome {
        let loop = EventLoop(index: 0, label: "spark-relay.check")
        let upstream = settings.upstream(for: model)
        let request = UpstreamChatRequest(model: model, messages: [SparkChatMessage(role: .user, content: "ping")],
                                          user: "spark-relay-check", maxTokens: 1)
        let done = DispatchSemaphore(value: 0)
        let observer = Observer { done.signal() }
        let conversation = upstream.makeConversation(for: request, credentials: settings.credentials, loop: loop, defaultUID: nil)
        let endpoint = upstream.endpointDescription(for: model)
        loop.execute {
            conversation.delegate = observer
            conversation.start()
        }
        defer { upstream.shutdown() }
        guard done.wait(timeout: .now() + timeout) == .success else {
            loop.execute { conversation.cancel() }
            return Outcome(succeeded: false, summary: "no answer from \(endpoint) within \(Int(timeout)) s")
        }
        let result = observer.result
        if let error = result.error {
            let sid = error.sid.map { " (sid \($0))" } ?? ""
            return Outcome(succeeded: false, summary: "\(endpoint) model \(model.name): \(error.message)\(diagnosis(error))\(sid)")
        }
        let sid = result.sid ?? "-"
        return Outcome(succeeded: true, summary: "OK: \(endpoint) accepted \(credentialSummary(settings.credentials, for: upstream.sparkProtocol)) and answered for model \(model.name) over \(upstream.sparkProtocol.rawValue) (sid \(sid), \(result.frames) frame(s))")
    }

    /// What to do about the common failures.
    static func diagnosis(_ error: SparkUpstreamError) -> String {
        switch error.kind {
        case .spark(let code):
            switch SparkErrorCode.info(for: code).category {
            case .permission, .dailyQuota: return " — the app has no licence or quota for this model: check iFlytek's console"
            default: return ""
            }
        case .notFound:
            return " — the model's path does not exist there: check its path/http_path"
        default:
            return ""
        }
    }

    /// Written on the connection's loop, read by the waiting thread once `onDone` ran.
    private final class Observer: UpstreamConversationDelegate, Sendable {
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

        func upstreamConversation(_ conversation: any UpstreamConversation, didReceive frame: SparkResponseFrame) {
            let sid = frame.sid
            state.withLock { result in
                result.frames += 1
                result.sid = sid ?? result.sid
            }
        }

        func upstreamConversation(_ conversation: any UpstreamConversation, didFinishWith error: SparkUpstreamError?) {
            state.withLock { $0.error = error }
            onDone()
        }
    }
}
