import HTTPCodec
import Testing

struct HTTPHeadersTests {
    @Test func caseInsensitiveLookupKeepsOrder() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        headers.add(name: "x-a", value: "2")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["X-a"] == "1")
        #expect(headers.values(for: "X-A") == ["1", "2"])
        #expect(headers.contains("CONTENT-TYPE"))
        #expect(!headers.contains("Content"))
        #expect(headers.count == 3)
        #expect(headers.map(\.name) == ["Content-Type", "X-A", "x-a"])
    }

    @Test func replaceOrAddAndRemove() {
        var headers = HTTPHeaders([("A", "1"), ("B", "2"), ("a", "3")])
        headers.replaceOrAdd(name: "A", value: "9")
        #expect(headers.values(for: "a") == ["9"])
        #expect(headers.map(\.name) == ["A", "B"])
        headers.replaceOrAdd(name: "C", value: "4")
        #expect(headers["c"] == "4")
        headers.remove(name: "b")
        #expect(headers.count == 2)
        #expect(headers["B"] == nil)
    }

    @Test func tokens() {
        let headers = HTTPHeaders([("Connection", " Keep-Alive ,Upgrade,,"), ("connection", "CLOSE")])
        #expect(headers.tokens(for: "Connection") == ["keep-alive", "upgrade", "close"])
        #expect(headers.tokens(for: "Missing") == [])
    }

    @Test func equalityIgnoresNameCaseOnly() {
        #expect(HTTPHeaders([("A", "x")]) == HTTPHeaders([("a", "x")]))
        #expect(HTTPHeaders([("A", "x")]) != HTTPHeaders([("A", "X")]))
        #expect(HTTPHeaders([("A", "1"), ("B", "2")]) != HTTPHeaders([("B", "2"), ("A", "1")]))
    }
}
