import Foundation
import RESPCodec
import RelayBenchCore

/// Why a command to the bench's Redis failed.
struct RedisProbeError: Error, CustomStringConvertible {
    let description: String
}

/// A blocking RESP2 connection to the bench's own Redis on 127.0.0.1, for the few control commands
/// of a measurement (`PING`, `INFO memory`, `DBSIZE`): one command at a time on the bench's main
/// thread, never on an event loop; every read and write bounded by `timeoutMs`.
final class RedisProbe {
    private let fd: Int32
    private var decoder = RESPDecoder()

    /// Connects to 127.0.0.1:`port`.
    init(port: Int, timeoutMs: Int = 5000) throws(RedisProbeError) {
        do throws(LoopbackSocket.Failure) {
            fd = try LoopbackSocket.connect(port: port, timeoutMs: timeoutMs)
        } catch {
            let what = error.call == "connect" ? "connect to Redis on 127.0.0.1:\(port)" : error.call
            throw RedisProbeError(description: "\(what): \(error.reason)")
        }
    }

    deinit { close(fd) }

    /// Sends `command` and returns its reply; a Redis error reply is thrown.
    func send(_ command: RESPCommand) throws(RedisProbeError) -> RESPValue {
        let bytes = RESPEncoder.encode(command)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RedisProbeError(description: "\(command.name): send failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let reply: RESPValue?
            do {
                reply = try decoder.next()
            } catch {
                throw RedisProbeError(description: "\(command.name): bad reply: \(error)")
            }
            if let reply {
                if let message = reply.errorMessage { throw RedisProbeError(description: "\(command.name): \(message)") }
                return reply
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else {
                throw RedisProbeError(description: "\(command.name): " + (n == 0 ? "Redis closed the connection" : "no reply (\(String(cString: strerror(errno))))"))
            }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// `INFO memory` `used_memory`, bytes.
    func usedMemory() throws(RedisProbeError) -> Int {
        try info("memory", "used_memory")
    }

    /// The integer field `name` of `INFO section`.
    func info(_ section: String, _ name: String) throws(RedisProbeError) -> Int {
        let reply = try send(RESPCommand("INFO", section))
        guard let text = reply.string else { throw RedisProbeError(description: "INFO: reply is a \(reply), not text") }
        do {
            return try RedisInfo.integer(name, in: text)
        } catch {
            throw RedisProbeError(description: "\(error)")
        }
    }

    /// Keys in the current database.
    func keyCount() throws(RedisProbeError) -> Int {
        let reply = try send(RESPCommand("DBSIZE"))
        guard let count = reply.integer else { throw RedisProbeError(description: "DBSIZE: reply is a \(reply), not an integer") }
        return Int(count)
    }
}

extension RedisProbe {
    /// Commands the server has processed since it started (`INFO stats`).
    func commandsProcessed() throws(RedisProbeError) -> Int {
        try info("stats", "total_commands_processed")
    }
}
