import Foundation
import HTTPCodec
import SparkSimulator
import Testing
@testable import Relay

/// One Spark frame larger than the replay buffer can hold (Config/README.md, replay buffer
/// and large events): an attached reader still gets it; only a resume that needs it is
/// `replay_unavailable`; without a reader the stream ends with `replay_buffer_full` and a message
/// that says what happened.
@Suite struct OversizeEventTests {
    /// The frame from the report: 200,000 bytes of JSON (the event holds it twice: JSON and text).
    static let prompt = "big [[oversize:200000]] [[chunks:4]]"

    private func get(_ client: TestHTTPClient, _ url: String, lastEventID: String? = nil) {
        var text = "GET \(url) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        if let lastEventID { text += "Last-Event-ID: \(lastEventID)\r\n" }
        client.send(text + "\r\n")
    }

    @Test func anAttachedReaderGetsAnEventLargerThanTheReplayBuffer() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        #expect(application.configuration.stream.replayBufferBytes < 2 * 200_000)
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"\#(Self.prompt)"}"#)
        let response = try client.readStream()
        #expect(response.terminal?.type == "done", "\(response.errorObject ?? [:])")
        #expect(response.dataEvents.count == 4)
        #expect(response.dataEvents.first.map { $0.data.utf8.count >= 199_000 } == true)
        #expect(response.text.hasPrefix(SimulatorScript.answer(for: "big").prefix(1)))
        #expect(response.sequenceNumbers == [1, 2, 3, 4, 5])

        // A resume after the big event replays the rest; one from before it cannot.
        let id = try #require(response.headers["X-Stream-Id"])
        let after = try TestHTTPClient(port: port)
        get(after, "/chat/stream/\(id)", lastEventID: "\(id):1")
        let tail = try after.readStream()
        #expect(tail.sequenceNumbers == [2, 3, 4, 5])
        #expect(tail.terminal?.type == "done")
        let before = try TestHTTPClient(port: port)
        get(before, "/chat/stream/\(id)", lastEventID: "\(id):0")
        let refused = try before.readStream()
        #expect(refused.errorObject?["code"] as? String == "replay_unavailable")
        let message = refused.errorObject?["message"] as? String ?? ""
        #expect(message.contains("event 1") && message.contains("only delivered live"), "\(message)")
        // Nothing of the skipped stream is held against the shared budget beyond its small events.
        #expect(application.registry.budget.usedBytes < 10_000)
    }

    @Test func withoutAReaderTheStreamEndsWithReplayBufferFullSayingWhy() throws {
        let (application, port) = try ChatStreamTests.relay { $0.stream.reconnectGrace = 5 }
        defer { application.shutdown() }
        let setup = try TestHTTPClient(port: port)
        setup.postJSON("/chat", #"{"prompt":"\#(Self.prompt) [[slow-first:400]]"}"#)
        let ticket = try setup.readResponse()
        let url = try #require(ticket.json?["stream_url"] as? String)
        let id = try #require(ticket.json?["id"] as? String)
        // Attach (the upstream starts), then leave before the big first frame arrives.
        var reader: TestHTTPClient? = try TestHTTPClient(port: port)
        get(reader!, url)
        _ = try reader!.readStream(stopAfter: 0)
        reader = nil
        // Reconnecting early would attach a reader again: wait until the stream gave its slot back.
        let deadline = ContinuousClock.now + .seconds(10)
        while application.gate.openStreams > 0 && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(application.gate.openStreams == 0)
        let late = try TestHTTPClient(port: port)
        get(late, url, lastEventID: "\(id):0")
        let replay = try late.readStream()
        #expect(replay.terminal?.type == "stream-error")
        let error = replay.errorObject
        let found = try #require(error)
        #expect(found["code"] as? String == "replay_buffer_full")
        let message = found["message"] as? String ?? ""
        #expect(message.contains("larger than the replay buffer") && message.contains("no reader was attached"), "\(message)")
    }

    @Test func openAIStreamingAndNonStreamingDeliverTheLargeEvent() throws {
        let (application, port) = try ChatStreamTests.relay { $0.stream.replayBufferBytes = 4096 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let body = #"{"model":"lite","stream":true,"messages":[{"role":"user","content":"\#(Self.prompt)"}]}"#
        client.postJSON("/v1/chat/completions", body)
        let streamed = try client.readStream()
        #expect(streamed.status == 200)
        #expect(streamed.events.last?.data == "[DONE]")
        #expect(streamed.rawText.utf8.count > 199_000)
        #expect(!streamed.rawText.contains("replay_buffer_full"))
        client.postJSON("/v1/chat/completions", #"{"model":"lite","messages":[{"role":"user","content":"\#(Self.prompt)"}]}"#)
        let whole = try client.readResponse()
        #expect(whole.status == 200)
        let choices = try #require(whole.json?["choices"] as? [[String: Any]])
        let content = (choices.first?["message"] as? [String: Any])?["content"] as? String ?? ""
        #expect(content.utf8.count > 190_000)
    }
}
