import Foundation
import HTTPClient
import HTTPCodec
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Against an independent server: Python's `http.server` answering HTTP/1.1 with a chunked event
/// stream, keeping the connection alive between requests.
@Suite struct HTTPClientInteropTests {
    private static let script = #"""
    import http.server, sys

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(3):
                event = ("data: %d %s\n\n" % (i, body.decode())).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    private static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: python != nil, "python3 is not installed"))
    func pythonsHTTPServerStreamsAChunkedResponseAndKeepsTheConnection() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.python))
        process.arguments = ["-c", Self.script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL: the child inherits a signal mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // The server prints its port once it listens.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            try #require(!more.isEmpty, "python's http.server exited before listening")
            line.append(more)
        }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))

        let harness = ClientHarness()
        defer { harness.stop() }
        let origin = HTTPClientOrigin(isSecure: false, host: "127.0.0.1", port: port)
        let request = HTTPClientRequest(method: .post, path: "/v1/chat/completions",
                                        headers: [("Content-Type", "application/json")], body: Array("hi".utf8))
        let (first, firstEvents) = harness.run(request, on: origin)
        let result = try #require(firstEvents)
        #expect(result.error == nil)
        #expect(result.head?.status == 200)
        #expect(result.head?.headers["content-type"] == "text/event-stream")
        #expect(result.text == "data: 0 hi\n\ndata: 1 hi\n\ndata: 2 hi\n\n")
        #expect(!first.reusedConnection)

        let (second, secondEvents) = harness.run(request, on: origin)
        #expect(secondEvents?.error == nil)
        #expect(secondEvents?.text == result.text)
        #expect(second.reusedConnection)
    }
}
