import Foundation
import Testing
@testable import Relay

/// A connection that is gone must take its work with it: no request runs after the socket closed,
/// and a client that leaves before its stream's response began is still reported, so the stream
/// cancels (or starts its reconnect grace) and gives back its slot, its Spark app and its upstream.
@Suite struct ConnectionLifecycleTests {
    /// An answer far longer than any wait below (400 chunks, 50 ms apart): a stream still running
    /// when a test gives up is one nobody cancelled.
    static let longPrompt = "[[chunks:400]] [[delay:50]]"

    /// `POST /chat/stream` for a long answer, as raw bytes.
    static func streamRequest(_ prompt: String) -> String {
        let body = #"{"prompt":"\#(prompt) \#(longPrompt)"}"#
        return "POST /chat/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// A request padded past `http.max_pipelined_bytes`, so that reading pauses behind the
    /// requests before it (and the relay stops noticing the reset through its reads).
    static let padding = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: \(String(repeating: "p", count: 4000))\r\n\r\n"

    /// Pipelines `first`, a chat stream and the padding on one connection that resets right after:
    /// `first`'s answer is then written to a reset socket and fails. The chat stream behind it must
    /// never start (nobody can read it); if it did, its writer would have no connection, its reader
    /// would look blocked forever and the stream slot, the Spark app and the upstream socket leak.
    private func pipelineThenReset(first: String, route: String, configure: @escaping (inout RelayConfiguration) -> Void) throws {
        let (application, port) = try ChatStreamTests.relay { configuration in
            configuration.http.maxPipelinedBytes = 1024
            configure(&configuration)
        }
        defer { application.shutdown() }
        // The reset usually reaches the relay before it answers `first`; a few connections make
        // sure some do.
        for attempt in 0..<5 {
            try ConnectionProbes.sendThenReset(port: port, Array((first + Self.streamRequest("pipelined \(attempt)") + Self.padding).utf8))
        }
        // Every `first` is answered (its write failed) before anything behind it could run.
        let answered = ConnectionProbes.eventually { ((try? ConnectionProbes.answeredRequests(port: port, route: route)) ?? 0) >= 5 }
        #expect(answered)
        let quiet = ConnectionProbes.eventually { ConnectionProbes.isQuiet(application) }
        #expect(quiet, """
            streams \(application.gate.openStreams), upstream sockets \(application.simulator?.openConnections ?? -1), \
            connections \(application.server.connectionCount)
            """)
    }

    /// The first answer is a static file: read off the loop, it is written from a later loop turn
    /// straight to the socket, and that write is the one that finds the reset.
    @Test func pipelinedRequestAfterAFailedStaticFileWriteNeverRuns() throws {
        try pipelineThenReset(first: "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n", route: "/*") { _ in }
    }

    /// The first answer is written while the relay is still parsing the pipelined bytes (a
    /// synchronous handler whose answer is larger than the write buffer, so it leaves at once): the
    /// write fails in the middle of the parse loop, which must stop there.
    @Test func pipelinedRequestAfterAWriteFailingMidParseNeverRuns() throws {
        try pipelineThenReset(first: "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", route: "/v1/models") { configuration in
            configuration.http.writeBufferBytes = 256
        }
    }

    /// `GET /chat/stream/{id}` and its FIN in one packet, for ticket streams made on one
    /// connection and read on the next: with two loops, consecutive connections land on different
    /// loops, so the attach hops to the stream's loop and back, and the FIN is read before the
    /// reader's response begins. The reader must still count as gone: its connection closes, the
    /// stream's grace timer runs out and the stream ends `client_disconnected`.
    @Test func readerLeavingBeforeACrossLoopAttachIsReported() throws {
        let (application, port) = try ChatStreamTests.relay { configuration in
            configuration.server.eventLoops = 2
            configuration.stream.reconnectGrace = 0.2
        }
        defer { application.shutdown() }
        let attempts = 4
        var readers: [TestHTTPClient] = []
        for attempt in 0..<attempts {
            let maker = try TestHTTPClient(port: port)
            maker.postJSON("/chat", #"{"prompt":"ticket \#(attempt) \#(Self.longPrompt)"}"#)
            let ticket = try maker.readResponse()
            try #require(ticket.status == 201)
            let url = try #require(ticket.json?["stream_url"] as? String)
            let reader = try TestHTTPClient(port: port, timeout: 5)
            ConnectionProbes.sendThenFinish(reader, "GET \(url) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            readers.append(reader)
        }
        for (index, reader) in readers.enumerated() {
            #expect(reader.isClosedByServer(), "reader \(index) is still connected")
        }
        let quiet = ConnectionProbes.eventually { ConnectionProbes.isQuiet(application) }
        #expect(quiet, "streams \(application.gate.openStreams), upstream sockets \(application.simulator?.openConnections ?? -1)")
        #expect(try ConnectionProbes.finishedStreams(port: port, outcome: "client_disconnected") == Double(attempts))
    }

    /// A stream head the encoder refuses becomes the fallback `500`, and the subscriber is told to
    /// stop. Its client is not gone, so the `500` must still arrive (the subscriber giving its
    /// response up must not cut the connection short), followed by the close.
    @Test func refusedStreamHeadStillAnswers500() throws {
        let server = try TestServer(routes: { router in
            router.add(.get, "/bad-head") { _, writer in
                let output = StreamFormat.eventStream.makeOutput(retryMilliseconds: 1000)
                let subscriber = StreamSubscriber(writer: writer, output: output, streamID: "bad", heartbeatInterval: 10)
                subscriber.begin(headers: ["X-Broken": "a\r\nb"])
            }
        })
        defer { server.stop() }
        let client = try server.client(timeout: 5)
        let response = try client.request("GET", "/bad-head")
        #expect(response.status == 500)
        #expect(response.errorCode == "invalid_response_header")
        #expect(client.isClosedByServer())
    }
}
