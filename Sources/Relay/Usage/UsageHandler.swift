import HTTPCodec
import JSON
import RelayCrypto

/// `GET /v1/usage`: the calling named key's use and remaining budget in the current period (tokens,
/// requests, by model, `resets_at`); `GET /admin/usage` (an admin key, `auth.admin_keys`): every
/// named key's. A request without a named key gets `404 no_usage`: use is counted per named key.
struct UsageHandler: Sendable {
    let budgets: (any BudgetLedger)?
    let gate: ClientGate
    /// SHA-256 of each admin key.
    let adminKeyHashes: [[UInt8]]

    func register(in router: inout Router) {
        router.add(.get, "/v1/usage", gate.protect(usage))
        router.add(.get, "/admin/usage", admin)
    }

    /// Every named key's report, for an admin key only (a client key is refused like a wrong one).
    func admin(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard !adminKeyHashes.isEmpty else {
            writer.respond(APIError(status: .notFound, type: "invalid_request_error", code: "not_found",
                                    message: "no admin keys are configured (auth.admin_keys)").openAIResponse)
            return
        }
        // Every admin hash is compared, in constant time, as the client gate does for client keys.
        let digest = ClientGate.bearerToken(request.headers["Authorization"] ?? "").map { Digest.sha256(Array($0.utf8)) }
        let matches = digest.map { digest in adminKeyHashes.reduce(false) { ConstantTime.equals($1, digest) || $0 } } ?? false
        guard matches else {
            writer.respond(APIError(status: .unauthorized, type: "authentication_error", code: "invalid_api_key",
                                    message: "an admin key (auth.admin_keys) is required", headers: [("WWW-Authenticate", "Bearer")]).openAIResponse)
            return
        }
        guard let budgets else {
            writer.respond(Self.json { json in
                json.beginObject()
                json.key("object"); json.string("list")
                json.key("data"); json.beginArray(); json.endArray()
                json.endObject()
            })
            return
        }
        let keys = budgets.policy.keys.sorted()
        budgets.report(keys, on: writer.loop) { uses in
            guard let uses else {
                writer.respond(APIError.usageUnavailable.openAIResponse)
                return
            }
            writer.respond(Self.json { json in
                json.beginObject()
                json.key("object"); json.string("list")
                json.key("data")
                json.beginArray()
                for (key, use) in zip(keys, uses) { Self.report(key, use, budgets.policy, into: &json) }
                json.endArray()
                json.endObject()
            })
        }
    }

    func usage(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let key = request.keyName, let budgets, budgets.policy.keys.contains(key) else {
            writer.respond(APIError(status: .notFound, type: "invalid_request_error", code: "no_usage",
                                    message: "use is counted per named key (auth.keys); this request carries none").openAIResponse)
            return
        }
        budgets.report([key], on: writer.loop) { uses in
            guard let use = uses?.first else {
                writer.respond(APIError.usageUnavailable.openAIResponse)
                return
            }
            writer.respond(Self.json { Self.report(key, use, budgets.policy, into: &$0) })
        }
    }

    /// A `200` JSON answer that is never cached.
    private static func json(_ write: (inout JSONWriter) -> Void) -> HTTPResponse {
        var json = JSONWriter(capacity: 1024)
        write(&json)
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: json.bytes)
    }

    /// One key's report object.
    private static func report(_ key: String, _ use: BudgetUse, _ policy: BudgetPolicy, into json: inout JSONWriter) {
        let budget = policy.budgets[key]
        json.beginObject()
        json.key("object"); json.string("usage")
        json.key("key"); json.string(key)
        json.key("period"); json.string(policy.period(of: key).rawValue)
        json.key("budget"); json.bool(budget != nil)
        json.key("period_label"); json.string(use.window.label)
        json.key("period_start")
        json.string(BudgetWindow.localTimestamp(use.window.start, offsetSeconds: policy.offsetSeconds))
        json.key("resets_at")
        if let end = use.window.end { json.string(BudgetWindow.localTimestamp(end, offsetSeconds: policy.offsetSeconds)) } else { json.null() }
        for (name, used, limit) in [("tokens", use.tokens, budget?.tokens), ("requests", use.requests, budget?.requests)] {
            json.key(name)
            json.beginObject()
            json.key("used"); json.int(used)
            json.key("limit"); if let limit { json.int(limit) } else { json.null() }
            json.key("remaining"); if let limit { json.int(max(0, limit - used)) } else { json.null() }
            json.endObject()
        }
        json.key("by_model")
        json.beginObject()
        for model in use.byModel.keys.sorted() {
            json.key(model)
            json.beginObject()
            json.key("tokens"); json.int(use.byModel[model]?.tokens ?? 0)
            json.key("requests"); json.int(use.byModel[model]?.requests ?? 0)
            json.endObject()
        }
        json.endObject()
        json.endObject()
    }
}
