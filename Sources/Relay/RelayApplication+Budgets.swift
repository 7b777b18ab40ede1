import Logging
import RelayIO
import SparkCodec

extension RelayApplication {
    /// The budget rules of the named keys (`nil` without any): their budgets, periods and offset.
    static func budgetPolicy(_ configuration: RelayConfiguration) throws(ConfigError) -> BudgetPolicy? {
        var budgets: [String: KeyBudget] = [:]
        for key in configuration.auth.keys {
            if let budget = key.budget { budgets[key.name] = budget }
        }
        let names = Set(configuration.auth.keys.map(\.name))
        guard !names.isEmpty else { return nil }
        guard let offset = BudgetWindow.parseOffset(configuration.auth.budgetUTCOffset) else {
            throw ConfigError(key: "auth.budget_utc_offset", message: "must be +HH:MM or -HH:MM")
        }
        return BudgetPolicy(budgets: budgets, keys: names, offsetSeconds: offset)
    }

    /// Registers the gauges of what each named key used of its budget (as this relay last knew it).
    static func addBudgetGauges(_ ledger: any BudgetLedger, metrics: RelayMetrics) {
        metrics.addStateGauges {
            let uses = ledger.lastKnownUses()
            return ledger.policy.keys.sorted().flatMap { key -> [GaugeSample] in
                guard let use = uses[key] else { return [] }
                let budget = ledger.policy.budgets[key]
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
    }
}
