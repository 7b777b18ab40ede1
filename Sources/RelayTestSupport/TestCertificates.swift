import Foundation

/// A throw-away CA and a server certificate for `localhost` / `127.0.0.1`, made with the `openssl`
/// CLI in a temporary directory at test time, so that no key is ever committed. Used by the TLS
/// tests of the simulator, the WebSocket client and the relay.
public struct TestCertificates: Sendable {
    /// The directory holding everything; remove it with `remove()`.
    public var directory: URL
    /// PEM of the CA that signed the server certificate (what a client trusts).
    public var caCertificate: String
    /// PEM server certificate (SAN IP:127.0.0.1, DNS:localhost).
    public var certificate: String
    /// PEM server key.
    public var key: String

    /// Why the certificates could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Generates the CA and the server certificate (valid for two days).
    public static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spark-relay-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try String("subjectAltName=IP:127.0.0.1,DNS:localhost\n").write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
        let commands: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
             "-days", "2", "-subj", "/CN=spark-relay test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
             "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
             "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", path("san.ext")],
        ]
        for arguments in commands {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw Failure(description: "openssl \(arguments[0]) failed with status \(process.terminationStatus)")
            }
        }
        return TestCertificates(directory: directory, caCertificate: path("ca.pem"), certificate: path("server.pem"), key: path("server.key"))
    }

    /// Deletes the directory.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
