import Foundation
import HTTPCodec
import Testing
@testable import Relay
import RelayIO
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP/1.1 server over real sockets on 127.0.0.1.
@Suite struct HTTPServerTests {
    static func echoRoutes(_ router: inout Router) {
        router.add(.get, "/hello") { _, writer in
            writer.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array("hello".utf8)))
        }
        router.add(.post, "/echo") { request, writer in
            writer.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body))
        }
        router.add(.get, "/items/{id}") { request, writer in
            writer.respond(HTTPResponse(status: .ok, body: Array("item \(request.pathParameters["id"] ?? "?")".utf8)))
        }
        router.add(.get, "/stream") { _, writer in
            writer.startStream(headers: ["Content-Type": "text/plain"])
            for index in 0..<3 { writer.write(Array("part\(index)\n".utf8)) }
            writer.finish()
        }
        router.add(.get, "/slow-stream") { _, writer in
            writer.startStream(headers: ["Content-Type": "text/plain"])
            writer.write(Array("first\n".utf8))
            writer.loop.schedule(after: 0.3) {
                writer.write(Array("second\n".utf8))
                writer.finish()
            }
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        for _ in 0..<3 {
            let response = try client.request("GET", "/hello")
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.headers["Connection"] == nil)
        }
        #expect(server.server.connectionCount == 1)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send("GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcdeGET /items/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "item 1")
        #expect(try client.readResponse().text == "abcde")
        #expect(try client.readResponse().text == "item 3")
    }

    @Test func chunkedRequestBodyIsReassembled() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "abcde")
    }

    @Test func expectContinueGets100BeforeTheBody() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        client.send("ping")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "ping")
    }

    @Test func http10GetsCloseDelimitedStreamAndClose() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send("GET /stream HTTP/1.0\r\n\r\n")
        var raw: [UInt8] = []
        while true {
            let bytes = try client.readChunk()
            if bytes.isEmpty { break }
            raw += bytes
        }
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(!text.lowercased().contains("transfer-encoding"))
        #expect(!text.lowercased().contains("content-length"))
        #expect(text.lowercased().contains("connection: close"))
        #expect(text.hasSuffix("\r\n\r\npart0\npart1\npart2\n"))
    }

    @Test func http11StreamIsChunkedAndKeepsTheConnection() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        let response = try client.request("GET", "/stream")
        #expect(response.headers["Transfer-Encoding"] == "chunked")
        #expect(response.text == "part0\npart1\npart2\n")
        #expect(try client.request("GET", "/hello").text == "hello")
    }

    @Test func http10KeepAliveIsHonouredForFixedLengthResponses() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.headers["Connection"]?.lowercased() == "keep-alive")
        client.send("GET /hello HTTP/1.0\r\n\r\n")
        let second = try client.readResponse()
        #expect(second.text == "hello")
        #expect(client.isClosedByServer())
    }

    @Test func headResponsesHaveHeadersButNoBody() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        let response = try client.request("HEAD", "/hello")
        #expect(response.status == 200)
        #expect(response.headers["Content-Length"] == "5")
        #expect(response.body.isEmpty)
        #expect(try client.request("GET", "/hello").text == "hello")
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        let missing = try client.request("GET", "/nope")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        #expect(missing.headers["Content-Type"] == "application/json")
        let wrong = try client.request("DELETE", "/hello")
        #expect(wrong.status == 405)
        #expect(wrong.headers["Allow"] == "GET, HEAD")
        #expect(wrong.errorCode == "method_not_allowed")
    }

    @Test func slowlorisHeadGets408ThenClose() throws {
        let server = try TestServer(configure: { $0.http.headerReadTimeout = 0.2 }, routes: Self.echoRoutes)
        let client = try server.client()
        client.send("GET /hello HTTP/1.1\r\nHost: x\r\n")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(response.errorCode == "request_timeout")
        #expect(client.isClosedByServer())
    }

    @Test func slowBodyGets408() throws {
        let server = try TestServer(configure: { $0.http.bodyReadTimeout = 0.2 }, routes: Self.echoRoutes)
        let client = try server.client()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(client.isClosedByServer())
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        let server = try TestServer(configure: { $0.http.idleTimeout = 0.2 }, routes: Self.echoRoutes)
        let client = try server.client()
        #expect(try client.request("GET", "/hello").status == 200)
        #expect(client.isClosedByServer())
    }

    @Test func oversizeBodyIs413() throws {
        let server = try TestServer(configure: { $0.http.maxBodyBytes = 1024 }, routes: Self.echoRoutes)
        let client = try server.client()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.errorCode == "body_too_large")
        #expect(client.isClosedByServer())
    }

    @Test func oversizeHeadersAre431() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(response.errorCode == "headers_too_large")
    }

    @Test func tooManyHeaderFieldsAre431() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        var text = "GET /hello HTTP/1.1\r\nHost: x\r\n"
        for index in 0..<120 { text += "X-H\(index): v\r\n" }
        client.send(text + "\r\n")
        #expect(try client.readResponse().status == 431)
    }

    @Test func longTargetIs414() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 414)
        #expect(response.errorCode == "uri_too_long")
    }

    @Test(arguments: [
        ("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
        ("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
        ("GET /hello HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("GET /hello HTTP/1.1\nHost: x\n\n", 400),
        ("GET /hello HTTP/1.1\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400),
    ])
    func badInputIsRejectedAndTheServerKeepsServing(request: String, status: Int) throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let client = try server.client()
        client.send(request)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(response.json?["error"] != nil)
        #expect(client.isClosedByServer())
        // The server is unharmed.
        #expect(try server.client().request("GET", "/hello").status == 200)
    }

    @Test func overTheConnectionBoundNewConnectionsGet503() throws {
        let server = try TestServer(configure: { $0.server.maxConnections = 2 }, routes: Self.echoRoutes)
        let first = try server.client()
        let second = try server.client()
        #expect(try first.request("GET", "/hello").status == 200)
        #expect(try second.request("GET", "/hello").status == 200)
        let third = try server.client()
        let response = try third.readResponse()
        #expect(response.status == 503)
        #expect(response.errorCode == "too_many_connections")
        #expect(response.headers["Retry-After"] != nil)
    }

    @Test func thousandIdleConnectionsDoNotStopHealthChecks() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 {
            limit.rlim_cur = min(limit.rlim_max, 4096)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let (application, port, _) = try TestServer.application()
        defer { application.server.shutdown() }
        var idle: [TestHTTPClient] = []
        for _ in 0..<1000 { idle.append(try TestHTTPClient(port: port)) }
        let probe = try TestHTTPClient(port: port)
        let response = try probe.request("GET", "/healthz")
        #expect(response.status == 200)
        #expect(response.json?["status"] as? String == "ok")
        #expect(idle.count == 1000)
    }

    @Test func drainLetsInFlightStreamFinishAndRefusesNewConnections() throws {
        let server = try TestServer(routes: Self.echoRoutes)
        let streaming = try server.client()
        streaming.send("GET /slow-stream HTTP/1.1\r\nHost: x\r\n\r\n")
        // Wait until the stream has started (its first chunk arrived) before draining.
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains("first") {
            let bytes = try streaming.readChunk()
            try #require(!bytes.isEmpty)
            received += bytes
        }
        let idle = try server.client()
        let done = DispatchSemaphore(value: 0)
        server.server.shutdown { done.signal() }
        while true {
            let bytes = try streaming.readChunk()
            if bytes.isEmpty { break }
            received += bytes
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.contains("second"))
        #expect(text.hasSuffix("0\r\n\r\n"))
        #expect(idle.isClosedByServer())
        done.wait()
        #expect(server.server.lifecycleState == .stopped)
        #expect(throws: (any Error).self) { try TestHTTPClient(port: server.port) }
    }
}
