import RelayBenchCore
import Testing

@Suite("/proc parsing, SSE scanning and chunk fields")
struct ParsingTests {
    @Test func vmRSSFromStatus() throws {
        let status = "Name:\tspark-relay\nVmPeak:\t  300000 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 9000 kB\n"
        #expect(try ProcParser.residentKiB(status: status) == 12345)
        #expect(throws: ProcReadError.self) { try ProcParser.residentKiB(status: "Name:\tx\n") }
    }

    @Test func cpuTicksSkipACommandNameWithSpacesAndParentheses() throws {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 1000 0 0"
        #expect(try ProcParser.cpuTicks(stat: stat) == 325)
        #expect(throws: ProcReadError.self) { try ProcParser.cpuTicks(stat: "4242 (x) S 1") }
    }

    @Test func schedstatRunTimeIsTheFirstField() throws {
        #expect(try ProcParser.runNanoseconds(schedstat: "123456789 2345 67\n") == 123_456_789)
        #expect(throws: ProcReadError.self) { try ProcParser.runNanoseconds(schedstat: "") }
        #expect(throws: ProcReadError.self) { try ProcParser.runNanoseconds(schedstat: "x 1 2") }
    }

    @Test func scannerSplitsEventsAcrossArbitraryChunks() {
        let text = "retry: 3000\n\nid: s:1\ndata: {\"a\":1}\n\n: ping\n\nevent: done\r\nid: s:2\r\ndata: x\r\ndata: y\r\n\r\n"
        let bytes = Array(text.utf8)
        for split in 1..<bytes.count {
            var scanner = SSEScanner()
            var events: [SSEScanner.Event] = []
            scanner.feed(bytes[..<split]) { events.append($0) }
            scanner.feed(bytes[split...]) { events.append($0) }
            #expect(events == [
                SSEScanner.Event(type: nil, id: "s:1", data: Array(#"{"a":1}"#.utf8)),
                SSEScanner.Event(type: "done", id: "s:2", data: Array("x\ny".utf8)),
            ])
            #expect(scanner.byteCount == bytes.count)
        }
    }

    @Test func chunkFieldsFromAForwardedPayload() {
        let payload = #"{"choices":{"sim_sent_ns":1700000000123456789,"status":1,"seq":3,"text":[{"content":"星火😀","role":"assistant","index":0}]}}"#
        #expect(ChunkFields.parse(payload: Array(payload.utf8))
                == ChunkFields(seq: 3, content: "星火😀", sentNanoseconds: 1_700_000_000_123_456_789))
        #expect(ChunkFields.parse(payload: Array(#"{"sid":"x"}"#.utf8)) == nil)
    }

    @Test func chunkFieldsFromAWholeFrame() {
        let frame = #"{"header":{"sim_sent_ns":5,"code":0,"status":2},"payload":{"choices":{"sim_sent_ns":5,"status":2,"seq":0,"text":[{"content":"a"}]}}}"#
        let parsed = ChunkFields.parse(frame: Array(frame.utf8))
        #expect(parsed.fields == ChunkFields(seq: 0, content: "a", sentNanoseconds: 5))
        #expect(parsed.status == 2 && parsed.code == 0)
    }

    @Test func nginxConfigRewritesEachLineOnce() throws {
        let conf = "user www-data;\npid /run/x.pid;\nerror_log /var/log/e.log warn;\nhttp {\n    access_log /var/log/a.log main;\n"
            + "    include upstream.conf;\n    server {\n        listen 8081;\n        include spark-relay.conf;\n    }\n}\n"
        let out = try NginxConfig.renderMain(conf, directory: "/d", nginxDir: "/n", listenPort: 9000, isRoot: true)
        #expect(out.contains("listen 127.0.0.1:9000;") && out.contains("include /d/upstream.conf;"))
        #expect(out.contains("include /n/spark-relay.conf;") && out.contains("pid /d/nginx.pid;"))
        #expect(out.contains("user root;") && out.contains("proxy_temp_path /d/tmp/proxy;"))
        #expect(try NginxConfig.renderUpstream("server 127.0.0.1:8080;", host: "127.0.0.1", port: 7) == "server 127.0.0.1:7;")
        #expect(throws: NginxConfigError.self) {
            try NginxConfig.renderMain(conf + "listen 8081;\n", directory: "/d", nginxDir: "/n", listenPort: 1, isRoot: true)
        }
    }
}
