import Foundation
import RelayIO
import SparkCodec
@testable import SparkSimulator

/// Starts a simulator on 127.0.0.1:0 with a pinned clock and signs URLs for it.
final class SimulatorHarness {
    /// The simulator's (and the signer's) clock: Wed, 25 Nov 2026 10:00:00 GMT.
    static let now = UnixTime(secondsSince1970: 1_795_600_800)
    static let credentials = SparkCredentials(appID: "app12345", apiKey: "0123456789abcdef0123456789abcdef",
                                              apiSecret: "c2ltdWxhdG9yLXRlc3Qtc2VjcmV0")
    let server: SimulatorServer
    let port: Int
    let group: EventLoopGroup

    init(chunkDelay: Double = 0, requestTimeout: Double = 60, tls: (certificate: String, key: String)? = nil,
         maxRequestBytes: Int = 1_048_576, apiPassword: String? = nil) throws {
        group = EventLoopGroup(count: 2, label: "sim-test")
        let now = Self.now
        server = SimulatorServer(
            configuration: SimulatorConfiguration(
                credentials: [Self.credentials], apiPassword: apiPassword, tlsCertificateFile: tls?.certificate, tlsKeyFile: tls?.key,
                chunkDelay: chunkDelay, maxRequestBytes: maxRequestBytes, requestTimeout: requestTimeout, now: { now }),
            group: group)
        port = try server.start().port
    }

    deinit {
        server.stop()
        _ = server.waitForConnectionCount(0, timeout: 5)
    }

    /// `127.0.0.1:<port>`, the Host the client sends and signs.
    var hostHeader: String { "127.0.0.1:\(port)" }

    /// The signed request target (path + query) for `path`, signed at `date` with `credentials`.
    func signedTarget(path: String = "/v3.5/chat", date: UnixTime = SimulatorHarness.now,
                      credentials: SparkCredentials = SimulatorHarness.credentials) -> String {
        SparkURLSigner.sign(credentials: credentials, scheme: "ws", host: hostHeader, path: path, date: HTTPDate.format(date)).requestTarget
    }

    /// A client that has completed the upgrade for `path`.
    func openClient(path: String = "/v3.5/chat", timeout: Double = 5, caFile: String? = nil) throws -> TestWebSocketClient {
        let client = try TestWebSocketClient(port: port, timeout: timeout, caFile: caFile)
        let response = try client.upgrade(target: signedTarget(path: path), host: hostHeader)
        guard response.status == 101 else {
            throw TestClientError(kind: .protocolViolation, message: "upgrade answered \(response.status) \(response.bodyText)")
        }
        return client
    }

    /// A request frame for `prompt` as the single user message.
    static func request(_ prompt: String, domain: String = "generalv3.5", appID: String = credentials.appID,
                        history: [SparkChatMessage] = []) -> String {
        let request = SparkChatRequest(appID: appID, uid: "tester", domain: domain, temperature: 0.5, maxTokens: 1024,
                                       messages: history + [SparkChatMessage(role: .user, content: prompt)])
        return String(decoding: request.encodeJSON(), as: UTF8.self)
    }

    /// Opens a client, sends `prompt`, reads everything until the end.
    func ask(_ prompt: String, path: String = "/v3.5/chat") throws -> (client: TestWebSocketClient, texts: [String], pings: Int, end: TestWebSocketEvent) {
        let client = try openClient(path: path)
        try client.sendText(Self.request(prompt))
        let (texts, pings, end) = try client.readUntilEnd()
        return (client, texts, pings, end)
    }

    /// Waits for the finished record of the `n`-th connection (ids count from 1).
    func record(id: Int, timeout: Double = 5) -> SimulatorConnectionRecord? {
        server.events.waitForRecord(timeout: timeout) { $0.id == id }
    }

    /// Decodes every text as a Spark frame with a fresh decoder.
    static func decode(_ texts: [String]) throws -> [SparkResponseFrame] {
        var decoder = SparkFrameDecoder(maxFrameBytes: 128 * 1024 * 1024)
        return try texts.map { text throws(SparkError) in try decoder.decode(Array(text.utf8)) }
    }
}
