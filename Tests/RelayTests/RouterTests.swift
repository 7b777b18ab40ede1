import HTTPCodec
import Testing
@testable import Relay

@Suite struct RouterTests {
    private func router() -> Router {
        var router = Router()
        let noop: RouteHandler = { _, _ in }
        router.add(.get, "/healthz", noop)
        router.add(.post, "/chat", answers: .created, noop)
        router.add(.get, "/chat/stream/{id}", noop)
        router.add(.post, "/chat/stream", noop)
        router.add(.get, "/*", noop)
        return router
    }

    @Test func matchesLiteralAndParameterRoutes() {
        guard case .found(_, let parameters, let route) = router().match(method: .get, path: "/chat/stream/abc") else {
            Issue.record("no match")
            return
        }
        #expect(parameters["id"] == "abc")
        #expect(route == "/chat/stream/{id}")
        guard case .found = router().match(method: .post, path: "/chat/stream") else {
            Issue.record("no match for POST /chat/stream")
            return
        }
    }

    @Test func successesListEachRouteOnceWithItsSuccessStatus() {
        var table = router()
        table.add(.get, "/healthz") { _, _ in }  // a second handler for the same route adds no series
        let successes = table.successes.map { "\($0.method) \($0.route) \($0.status.code)" }
        #expect(successes == ["GET /healthz 200", "POST /chat 201", "GET /chat/stream/{id} 200", "POST /chat/stream 200", "GET /* 200"])
    }

    @Test func headIsServedByGet() {
        guard case .found = router().match(method: .head, path: "/healthz") else {
            Issue.record("HEAD not routed")
            return
        }
    }

    @Test func wrongMethodListsAllowed() {
        guard case .methodNotAllowed(let allowed) = router().match(method: .delete, path: "/chat") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.post])
    }

    @Test func catchAllTakesTheRest() {
        guard case .found(_, let parameters, _) = router().match(method: .get, path: "/css/site.css") else {
            Issue.record("no match")
            return
        }
        #expect(parameters["*"] == "css/site.css")
    }

    @Test func unknownPathWithoutCatchAllIs404() {
        var router = Router()
        router.add(.get, "/a", { _, _ in })
        guard case .notFound = router.match(method: .get, path: "/b") else {
            Issue.record("expected 404")
            return
        }
        guard case .notFound = router.match(method: .get, path: "/a/b") else {
            Issue.record("expected 404 for a longer path")
            return
        }
    }

    @Test func emptyParameterDoesNotMatch() {
        guard case .methodNotAllowed = router().match(method: .post, path: "/chat/stream/") else {
            Issue.record("empty id must not match the GET route's parameter; catch-all answers 405 for POST")
            return
        }
    }
}
