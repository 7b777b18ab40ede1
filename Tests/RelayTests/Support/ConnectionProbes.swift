import Foundation
@testable import Relay
#if canImport(Glibc)
import Glibc
#endif

/// Raw-socket moves and bounded waits for the connection lifecycle tests: a client that resets its
/// connection right after writing, a half-close, and polling an observable condition with a deadline.
enum ConnectionProbes {
    /// Connects to 127.0.0.1:`port`, writes `bytes` in one call, then resets the connection
    /// (`SO_LINGER` 0 + `close`): the relay reads the bytes and finds the peer gone when it answers.
    static func sendThenReset(port: Int, _ bytes: [UInt8]) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(fd)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestHTTPClient.ClientError.connectFailed(errno) }
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw TestHTTPClient.ClientError.closedEarly }
    }

    /// Sends `text` and half-closes at once (`shutdown(SHUT_WR)`): the request and the FIN arrive together.
    static func sendThenFinish(_ client: TestHTTPClient, _ text: String) {
        client.send(text)
        shutdown(client.fd, Int32(SHUT_WR))
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` seconds passed; its last value.
    static func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// `relay_streams_finished_total{outcome=…}` from `GET /metrics` (0 when the series is absent).
    static func finishedStreams(port: Int, outcome: String) throws -> Double {
        let text = try TestHTTPClient(port: port).request("GET", "/metrics").text
        let prefix = "relay_streams_finished_total{outcome=\"\(outcome)\"} "
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Double(line.dropFirst(prefix.count)) ?? 0
    }

    /// Requests on `route` the relay has answered (or given up on), from `GET /metrics`.
    static func answeredRequests(port: Int, route: String) throws -> Double {
        let text = try TestHTTPClient(port: port).request("GET", "/metrics").text
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("relay_http_requests_total{") && $0.contains("route=\"\(route)\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }

    /// `true` once the relay holds no stream slot, no upstream socket and no client connection
    /// other than `keeping` (connections the test still has open on purpose).
    static func isQuiet(_ application: RelayApplication, keeping: Int = 0) -> Bool {
        application.gate.openStreams == 0 && (application.simulator?.openConnections ?? 0) == 0
            && application.server.connectionCount <= keeping
    }
}
