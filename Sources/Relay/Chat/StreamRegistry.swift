import RelayCrypto
import Synchronization

/// Live and recently finished streams by id, reachable from every event loop (a reconnect can land
/// on any loop). Ids are unguessable capabilities: 128 random bits. It holds this process's streams
/// only, under either engine; sharing streams across relays is the `StreamEngine`'s job.
final class StreamRegistry: Sendable {
    private let streams = Mutex<[String: ChatStream]>([:])
    /// Shared bound for all replay buffers.
    let budget: ReplayBudget

    init(replayTotalBytes: Int) {
        self.budget = ReplayBudget(limit: replayTotalBytes)
    }

    /// A fresh id: 32 lowercase hex characters from the CSPRNG.
    static func makeID() -> String {
        SecureRandom.hex(byteCount: 16)
    }

    func add(_ stream: ChatStream) {
        streams.withLock { $0[stream.id] = stream }
    }

    func stream(id: String) -> ChatStream? {
        streams.withLock { $0[id] }
    }

    func remove(_ stream: ChatStream) {
        streams.withLock { table in
            if table[stream.id] === stream { table[stream.id] = nil }
        }
    }

    /// Streams currently registered (live or inside their replay window).
    var count: Int { streams.withLock { $0.count } }
}
