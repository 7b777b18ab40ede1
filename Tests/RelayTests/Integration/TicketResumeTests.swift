import Foundation
import HTTPCodec
import SparkSimulator
import Testing
@testable import Relay

/// `POST /chat` + `GET /chat/stream/{id}`: tickets, `Last-Event-ID` resume, reconnect grace, 204.
@Suite struct TicketResumeTests {
    private func ticket(_ client: TestHTTPClient, prompt: String) throws -> (id: String, url: String) {
        client.postJSON("/chat", #"{"prompt":"\#(prompt)"}"#)
        let response = try client.readResponse()
        #expect(response.status == 201)
        let json = try #require(response.json)
        let id = try #require(json["id"] as? String)
        let url = try #require(json["stream_url"] as? String)
        #expect(url == "/chat/stream/\(id)")
        #expect((json["expires_in"] as? Int ?? 0) > 0)
        #expect(response.headers["Location"] == url)
        return (id, url)
    }

    private func get(_ client: TestHTTPClient, _ url: String, lastEventID: String? = nil) {
        var text = "GET \(url) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        if let lastEventID { text += "Last-Event-ID: \(lastEventID)\r\n" }
        client.send(text + "\r\n")
    }

    @Test func ticketIsUnguessableAndStartsTheUpstreamOnlyWhenAttached() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let first = try ticket(client, prompt: "one")
        let second = try ticket(client, prompt: "two")
        #expect(first.id != second.id)
        #expect(first.id.count == 32 && first.id.allSatisfy(\.isHexDigit))
        #expect(application.simulator?.acceptedRequests == 0)
        get(client, first.url)
        let response = try client.readStream()
        #expect(response.headers["X-Stream-Id"] == first.id)
        #expect(response.text == SimulatorScript.answer(for: "one"))
        #expect(response.terminal?.type == "done")
    }

    @Test func unknownStreamIs204() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        get(client, "/chat/stream/0123456789abcdef0123456789abcdef")
        let response = try client.readResponse()
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
    }

    @Test func finishedStreamReplaysUntilSeenThen204() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let stream = try ticket(client, prompt: "again")
        get(client, stream.url)
        let first = try client.readStream()
        let last = try #require(first.events.last?.lastEventID)
        // A reconnect after everything was seen: 204, so EventSource stops.
        get(client, stream.url, lastEventID: last)
        #expect(try client.readResponse().status == 204)
        // A reconnect that missed the end gets exactly the missing events.
        let sequences = first.sequenceNumbers
        get(client, stream.url, lastEventID: "\(stream.id):\(sequences[sequences.count - 3])")
        let tail = try client.readStream()
        #expect(tail.sequenceNumbers == Array(sequences.suffix(2)))
        #expect(tail.terminal?.type == "done")
    }

    @Test func resumeAfterADroppedConnectionLosesAndDuplicatesNothing() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let prompt = "resume [[chunks:40]] [[delay:20]]"
        let setup = try TestHTTPClient(port: port)
        let stream = try ticket(setup, prompt: prompt)
        var reader: TestHTTPClient? = try TestHTTPClient(port: port)
        get(reader!, stream.url)
        let before = try reader!.readStream(stopAfter: 5)
        reader = nil  // the browser's connection drops mid-stream
        let lastID = try #require(before.events.last?.lastEventID)
        let again = try TestHTTPClient(port: port)
        get(again, stream.url, lastEventID: lastID)
        let after = try again.readStream()
        #expect(after.status == 200)
        let all = before.events + after.events
        let sequences = all.compactMap { Int($0.lastEventID.split(separator: ":").last ?? "") }
        #expect(sequences == Array(1...sequences.count))
        let combined = StreamedResponse(status: 200, headers: HTTPHeaders(), raw: [], events: all, retry: nil, ended: true)
        #expect(combined.text == SimulatorScript.answer(for: "resume"))
        #expect(combined.dataEvents.count == 40)
        #expect(after.terminal?.type == "done")
        #expect(application.simulator?.acceptedRequests == 1)
    }

    @Test func withoutAReconnectTheUpstreamIsCancelledAfterTheGrace() throws {
        let (application, port) = try ChatStreamTests.relay { $0.stream.reconnectGrace = 0.2 }
        defer { application.shutdown() }
        let simulator = try #require(application.simulator)
        let setup = try TestHTTPClient(port: port)
        let stream = try ticket(setup, prompt: "grace [[chunks:200]] [[delay:20]]")
        var reader: TestHTTPClient? = try TestHTTPClient(port: port)
        get(reader!, stream.url)
        _ = try reader!.readStream(stopAfter: 3)
        let left = ContinuousClock.now
        reader = nil
        let record = try #require(simulator.events.waitForRecord(timeout: 5) { _ in true })
        #expect(record.end == .clientClosed(code: 1000))
        #expect(record.endedAt - left >= .milliseconds(150))
        // The stream is over; a late reconnect replays what was produced and then the error.
        let late = try TestHTTPClient(port: port)
        get(late, stream.url, lastEventID: "\(stream.id):1")
        let tail = try late.readStream()
        #expect(tail.errorObject?["code"] as? String == "client_disconnected")
    }

    @Test func secondReaderWithoutLastEventIDIs409AndWithItTakesOver() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let setup = try TestHTTPClient(port: port)
        let stream = try ticket(setup, prompt: "two readers [[chunks:30]] [[delay:20]]")
        let first = try TestHTTPClient(port: port)
        get(first, stream.url)
        let seen = try first.readStream(stopAfter: 3)
        let intruder = try TestHTTPClient(port: port)
        get(intruder, stream.url)
        let refused = try intruder.readResponse()
        #expect(refused.status == 409)
        #expect(refused.errorCode == "stream_already_attached")
        let takeover = try TestHTTPClient(port: port)
        get(takeover, stream.url, lastEventID: try #require(seen.events.last?.lastEventID))
        let rest = try takeover.readStream()
        #expect(rest.terminal?.type == "done")
        #expect(rest.sequenceNumbers.first == (seen.sequenceNumbers.last ?? 0) + 1)
        // The replaced reader's response was ended cleanly (the chunked body's last chunk), without a terminal event.
        var remainder: [UInt8] = []
        while !String(decoding: remainder, as: UTF8.self).hasSuffix("0\r\n\r\n") {
            let bytes = try first.readChunk()
            try #require(!bytes.isEmpty)
            remainder += bytes
        }
        #expect(!String(decoding: remainder, as: UTF8.self).contains("event: done"))
    }

    @Test func foreignOrMalformedLastEventIDIs400() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let stream = try ticket(client, prompt: "x")
        for value in ["other:3", "\(stream.id):abc", "\(stream.id):-1"] {
            get(client, stream.url, lastEventID: value)
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.errorCode == "invalid_last_event_id")
        }
    }

    /// A `Last-Event-ID` is the client's word: past the newest event it is clamped to that event
    /// (nothing twice, nothing skipped), and no number a client can send makes the relay trap.
    @Test func lastEventIDPastTheNewestEventIsClamped() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        // A live stream: the reader resumes from where the stream is, not from the client's number.
        let live = try ticket(client, prompt: "clamp [[chunks:30]] [[delay:20]]")
        var first: TestHTTPClient? = try TestHTTPClient(port: port)
        get(first!, live.url)
        let before = try first!.readStream(stopAfter: 3)
        first = nil
        let resumed = try TestHTTPClient(port: port)
        get(resumed, live.url, lastEventID: "\(live.id):\(Int.max)")
        let after = try resumed.readStream()
        #expect(after.status == 200)
        #expect(after.terminal?.type == "done")
        let numbers = after.sequenceNumbers
        #expect(numbers.first.map { $0 > before.sequenceNumbers.last! } == true)
        #expect(numbers == Array(numbers.first!...numbers.last!))
        // A finished stream: the client has everything, so 204 (EventSource stops).
        for value in [Int.max, Int.max - 1, numbers.last!, numbers.last! + 1] {
            get(client, live.url, lastEventID: "\(live.id):\(value)")
            #expect(try client.readResponse().status == 204)
        }
        // Numbers no stream can issue, signs and another stream's id are refused, and the relay serves on.
        let other = try ticket(client, prompt: "other")
        for value in ["\(live.id):9223372036854775808", "\(live.id):99999999999999999999999999", "\(live.id):+3",
                      "\(live.id):-1", "\(live.id):", "\(other.id):1", "\(live.id):1 2"] {
            get(client, live.url, lastEventID: value)
            let response = try client.readResponse()
            #expect(response.status == 400, "\(value)")
            #expect(response.errorCode == "invalid_last_event_id")
        }
        client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func resumeFromEvictedEventsIsReplayUnavailable() throws {
        let (application, port) = try ChatStreamTests.relay { $0.stream.replayBufferBytes = 2048 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let stream = try ticket(client, prompt: "evict [[chunks:60]]")
        get(client, stream.url)
        let all = try client.readStream()
        #expect(all.terminal?.type == "done")
        get(client, stream.url, lastEventID: "\(stream.id):1")
        let replay = try client.readStream()
        #expect(replay.errorObject?["code"] as? String == "replay_unavailable")
    }

    @Test func unattachedTicketExpires() throws {
        let (application, port) = try ChatStreamTests.relay { $0.stream.ticketTTL = 0.1 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let stream = try ticket(client, prompt: "late")
        // Await the expiry through the registry rather than sleeping a fixed time.
        let deadline = ContinuousClock.now + .seconds(5)
        while application.registry.stream(id: stream.id) != nil && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        get(client, stream.url)
        #expect(try client.readResponse().status == 204)
        #expect(application.simulator?.acceptedRequests == 0)
    }
}
