import Logging
import RelayIO
import SparkCodec

extension RelayApplication {
    /// The ledger of the named keys (`nil` without any), rebuilt from the usage file so that a
    /// restart resets nobody's budget, with its gauges registered.
    static func makeBudgets(_ configuration: RelayConfiguration, usageLog: UsageLog?, metrics: RelayMetrics,
                            logger: Logger) throws(ConfigError) -> BudgetLedger? {
        var budgets: [String: KeyBudget] = [:]
        for (index, key) in configuration.auth.keys.enumerated() {
            guard let budget = key.budget else { continue }
            if configuration.cluster.engine == .redis {
                throw ConfigError(key: "auth.keys[\(index)].budget",
                                  message: "budgets are counted by each relay's memory engine; with cluster.engine \"redis\" they would not be shared by the fleet, so they are refused")
            }
            budgets[key.name] = budget
        }
        let names = Set(configuration.auth.keys.map(\.name))
        guard !names.isEmpty else { return nil }
        guard let offset = BudgetWindow.parseOffset(configuration.auth.budgetUTCOffset) else {
            throw ConfigError(key: "auth.budget_utc_offset", message: "must be +HH:MM or -HH:MM")
        }
        let ledger = BudgetLedger(budgets: budgets, keys: names, offsetSeconds: offset)
        if let usageLog {
            let restored = UsageFileTail.restore(path: usageLog.path, into: ledger, maxBytes: Self.budgetRebuildBytes)
            logger.notice("budgets rebuilt from the usage file", metadata: ["records": "\(restored.records)",
                                                                          "bytes_read": "\(restored.bytesRead)"])
        } else if !budgets.isEmpty {
            logger.warning("keys have budgets but log.usage_file is off: a restart starts every budget from zero")
        }
        metrics.addStateGauges {
            ledger.keys.sorted().flatMap { key -> [GaugeSample] in
                guard let use = ledger.use(of: key) else { return [] }
                let budget = ledger.budgets[key]
                var samples: [GaugeSample] = []
                for (kind, used, limit) in [("tokens", use.tokens, budget?.tokens), ("requests", use.requests, budget?.requests)] {
                    samples.append(GaugeSample(name: "relay_budget_used", help: "What a key used of its budget in the current period.",
                                               labels: [("key", key), ("kind", kind)], value: Double(used)))
                    if let limit {
                        samples.append(GaugeSample(name: "relay_budget_limit", help: "A key's budget per period.",
                                                   labels: [("key", key), ("kind", kind)], value: Double(limit)))
                    }
                }
                return samples
            }
        }
        return ledger
    }

    /// How much of the usage file's end is read at start to rebuild the budgets (the current
    /// period's records are normally near the end; older ones are skipped).
    static let budgetRebuildBytes = 256 * 1024 * 1024
}
