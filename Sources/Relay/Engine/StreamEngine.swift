import HTTPCodec
import Logging
import RelayIO

/// Where ticket streams live (`cluster.engine`), behind which the handlers never branch: the
/// memory engine keeps tickets and replay in this process; the Redis engine makes tickets claimable
/// from any relay, logs their events for readers on other relays, and tracks relay liveness. A new
/// engine implements this protocol and nothing above it changes. Completions run on the loop the
/// call names.
protocol StreamEngine: AnyObject, Sendable {
    /// `memory` or `redis` (`/healthz`'s `engine`).
    var name: String { get }
    /// `ok` or `degraded` for an engine with a store to reach; `nil` for one without (`/healthz`).
    var status: String? { get }
    /// This relay's name among the relays sharing the engine; `nil` when nothing is shared.
    var fleetInstanceID: String? { get }
    /// `POST /chat`: keeps `input` (from `request`, already validated) as a ticket and passes its
    /// id to `done` on `loop`, or the error to answer with.
    func createTicket(_ input: ChatInput, request: HTTPRequest, on loop: EventLoop,
                      _ done: @escaping @Sendable (Result<String, APIError>) -> Void)
    /// `GET /chat/stream/{id}`: claims a ticket (the upstream opens here), resumes a stream after
    /// `after` (`Last-Event-ID`, already checked against `streamID`), follows one owned elsewhere,
    /// or answers `204` when nobody knows the id. Call on the writer's loop.
    func attach(streamID: String, after: Int?, request: HTTPRequest, writer: ResponseWriter, output: any StreamOutput)
    /// Makes the client and Spark app limits hold for every relay sharing the engine.
    func shareLimits(gate: ClientGate, pool: CredentialPool, configuration: RelayConfiguration)
    /// The ledger that counts the named keys' budgets where this engine keeps what relays share:
    /// this process (rebuilt from the usage file at `usageFile`) or the fleet's store.
    func makeBudgetLedger(policy: BudgetPolicy, auth: RelayConfiguration.Auth, usageFile: String?, logger: Logger) -> any BudgetLedger
    /// Connects and starts background work (the relay's heartbeat).
    func start()
    /// Blocks (never on an event loop) until the streams this relay owns for readers elsewhere are
    /// over, or `timeout` seconds passed.
    func waitForOwnedStreams(timeout: Double)
    /// Stops timers and connections (server shutdown).
    func shutdown()
}
