import Foundation
import Testing
@testable import Relay

@Suite struct StaticFileHandlerTests {
    @Test(arguments: [
        ("/", "index.html"), ("/index.html", "index.html"), ("/app.js", "app.js"),
        ("/docs/", "docs/index.html"), ("/a%20b.txt", "a b.txt"),
    ])
    func safePathsResolve(path: String, expected: String) {
        #expect(StaticFileHandler.safeRelativePath(path) == expected)
    }

    @Test(arguments: [
        "/../etc/passwd", "/%2e%2e/etc/passwd", "/a/../../b", "/.git/config", "/.env", "/a//b",
        "/a%2fb", "/a%00b", "/%zz", "/a\\..\\b", "/./x",
    ])
    func unsafePathsAreRefused(path: String) {
        #expect(StaticFileHandler.safeRelativePath(path) == nil)
    }

    @Test func servesFilesWithValidatorsAnd304() throws {
        let (application, port, _) = try TestServer.application()
        defer { application.server.shutdown() }
        let client = try TestHTTPClient(port: port)
        let page = try client.request("GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["Content-Type"] == "text/html; charset=utf-8")
        let etag = try #require(page.headers["ETag"])
        let lastModified = try #require(page.headers["Last-Modified"])
        #expect(page.text.contains("<html"))
        let byTag = try client.request("GET", "/", headers: [("If-None-Match", etag)])
        #expect(byTag.status == 304)
        #expect(byTag.body.isEmpty)
        let byDate = try client.request("GET", "/index.html", headers: [("If-Modified-Since", lastModified)])
        #expect(byDate.status == 304)
        let changed = try client.request("GET", "/index.html", headers: [("If-None-Match", "\"other\"")])
        #expect(changed.status == 200)
    }

    @Test func traversalAndSymlinksOutOfTheRootAre404() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("relay-static-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let outside = root.deletingLastPathComponent().appendingPathComponent("relay-outside-\(UUID().uuidString).txt")
        try Data("TOPSECRET".utf8).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data("hi".utf8).write(to: root.appendingPathComponent("ok.txt"))
        try Data("hidden".utf8).write(to: root.appendingPathComponent(".hidden"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("leak.txt").path, withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("inside.txt").path, withDestinationPath: root.appendingPathComponent("ok.txt").path)
        let (application, port, _) = try TestServer.application { $0.server.publicDirectory = root.path }
        defer { application.server.shutdown() }
        let client = try TestHTTPClient(port: port)
        #expect(try client.request("GET", "/ok.txt").text == "hi")
        #expect(try client.request("GET", "/inside.txt").text == "hi")
        for path in ["/leak.txt", "/.hidden", "/../\(outside.lastPathComponent)", "/%2e%2e/\(outside.lastPathComponent)", "/missing.txt"] {
            let response = try client.request("GET", path)
            #expect(response.status == 404, "\(path)")
            #expect(!response.text.contains("TOPSECRET"))
        }
    }
}
