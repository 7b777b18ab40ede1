import HTTPCodec
import JSON

/// `GET /v1/usage`: the calling key's use and remaining budget in the current period (tokens,
/// requests, by model, `resets_at`). A request without a named key gets `404 no_budget`: only
/// named keys have budgets.
struct UsageHandler: Sendable {
    let budgets: BudgetLedger?
    let gate: ClientGate

    func register(in router: inout Router) {
        router.add(.get, "/v1/usage", gate.protect(usage))
    }

    func usage(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let key = request.keyName else {
            writer.respond(APIError(status: .notFound, type: "invalid_request_error", code: "no_budget",
                                    message: "usage is reported per named key (auth.keys); this request carries none").openAIResponse)
            return
        }
        guard let budgets, let budget = budgets.budgets[key], let use = budgets.use(of: key) else {
            writer.respond(APIError(status: .notFound, type: "invalid_request_error", code: "no_budget",
                                    message: "key '\(key)' has no budget (auth.keys[].budget)").openAIResponse)
            return
        }
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.key("object"); json.string("usage")
        json.key("key"); json.string(key)
        json.key("period"); json.string(budget.period.rawValue)
        json.key("period_label"); json.string(use.window.label)
        json.key("period_start")
        json.string(BudgetWindow.localTimestamp(use.window.start, offsetSeconds: budgets.offsetSeconds))
        json.key("resets_at")
        if let end = use.window.end { json.string(BudgetWindow.localTimestamp(end, offsetSeconds: budgets.offsetSeconds)) } else { json.null() }
        for (name, used, limit) in [("tokens", use.tokens, budget.tokens), ("requests", use.requests, budget.requests)] {
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
        writer.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: json.bytes))
    }
}
