import HTTPCodec
import Logging
import RelayIO

/// `cluster.engine = memory`: one relay, everything in the process. A ticket is a stream made at
/// once and kept in the `StreamRegistry` until its first `GET` (or `stream.ticket_ttl`); resumes
/// replay from the stream's own `ReplayBuffer`. Nothing to reach, so never degraded.
final class MemoryStreamEngine: StreamEngine {
    private let streams: StreamFactory

    init(streams: StreamFactory) {
        self.streams = streams
    }

    var name: String { ClusterEngineKind.memory.rawValue }
    var status: String? { nil }
    var fleetInstanceID: String? { nil }

    func createTicket(_ input: ChatInput, request: HTTPRequest, on loop: EventLoop,
                      _ done: @escaping @Sendable (Result<String, APIError>) -> Void) {
        streams.make(input, origin: .ticket, owner: request, on: loop) { result in
            done(result.map { stream in
                stream.armTicketExpiry()
                return stream.id
            })
        }
    }

    func attach(streamID: String, after: Int?, request: HTTPRequest, writer: ResponseWriter, output: any StreamOutput) {
        if !streams.attachLocal(id: streamID, after: after, writer: writer, output: output, reader: request) {
            writer.respond(StreamFactory.gone)
        }
    }

    func shareLimits(gate: ClientGate, pool: CredentialPool, configuration: RelayConfiguration) {}

    func makeBudgetLedger(policy: BudgetPolicy, auth: RelayConfiguration.Auth, usageFile: String?, logger: Logger) -> any BudgetLedger {
        let ledger = MemoryBudgetLedger(policy: policy)
        if let usageFile {
            let restored = UsageFileTail.restore(path: usageFile, into: ledger, maxBytes: Self.budgetRebuildBytes)
            logger.notice("budgets rebuilt from the usage file", metadata: ["records": "\(restored.records)",
                                                                          "bytes_read": "\(restored.bytesRead)"])
        } else if !policy.budgets.isEmpty {
            logger.warning("keys have budgets but log.usage_file is off: a restart starts every budget from zero")
        }
        return ledger
    }

    /// How much of the usage file's end is read at start to rebuild the budgets (the current
    /// period's records are normally near the end; older ones are skipped).
    static let budgetRebuildBytes = 256 * 1024 * 1024

    func start() {}

    func waitForOwnedStreams(timeout: Double) {}

    func shutdown() {}
}
