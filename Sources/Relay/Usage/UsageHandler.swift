import HTTPCodec
import JSON
import RelayCrypto

/// `GET /v1/usage`: the calling named key's use and remaining budget in the current period (tokens,
/// requests, by model, `resets_at`); `GET /admin/usage` (an admin key, `auth.admin_keys`): every
/// named key's. A request without a named key gets `404 no_usage`: use is counted per named key.
struct UsageHandler: Sendable {
    let budgets: BudgetLedger?
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
        var json = JSONWriter(capacity: 1024)
        json.beginObject()
        json.key("object"); json.string("list")
        json.key("data")
        json.beginArray()
        if let budgets {
            for key in budgets.keys.sorted() { report(key, budgets, into: &json) }
        }
        json.endArray()
        json.endObject()
        writer.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: json.bytes))
    }

    func usage(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let key = request.keyName, let budgets, budgets.keys.contains(key) else {
            writer.respond(APIError(status: .notFound, type: "invalid_request_error", code: "no_usage",
                                    message: "use is counted per named key (auth.keys); this request carries none").openAIResponse)
            return
        }
        var json = JSONWriter(capacity: 512)
        report(key, budgets, into: &json)
        writer.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: json.bytes))
    }

    /// One key's report object.
    private func report(_ key: String, _ budgets: BudgetLedger, into json: inout JSONWriter) {
        guard let use = budgets.use(of: key) else { return }
        let budget = budgets.budgets[key]
        json.beginObject()
        json.key("object"); json.string("usage")
        json.key("key"); json.string(key)
        json.key("period"); json.string(budgets.period(of: key).rawValue)
        json.key("budget"); json.bool(budget != nil)
        json.key("period_label"); json.string(use.window.label)
        json.key("period_start")
        json.string(BudgetWindow.localTimestamp(use.window.start, offsetSeconds: budgets.offsetSeconds))
        json.key("resets_at")
        if let end = use.window.end { json.string(BudgetWindow.localTimestamp(end, offsetSeconds: budgets.offsetSeconds)) } else { json.null() }
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
