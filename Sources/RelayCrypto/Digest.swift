import COpenSSL

/// One-shot message digests (SHA-1 for the WebSocket accept key, SHA-256 for hashing client API keys).
public enum Digest {
    /// SHA-1 (RFC 6455 §4.2.2 needs it for `Sec-WebSocket-Accept`; not used for anything secret).
    public static func sha1(_ bytes: some Collection<UInt8>) -> [UInt8] {
        digest(bytes, algorithm: EVP_sha1())
    }

    /// SHA-256.
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        digest(bytes, algorithm: EVP_sha256())
    }

    private static func digest(_ bytes: some Collection<UInt8>, algorithm: OpaquePointer?) -> [UInt8] {
        let input = Array(bytes)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLength: UInt32 = 0
        let ok = input.withUnsafeBytes { inputBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                EVP_Digest(inputBuffer.baseAddress, inputBuffer.count, outBuffer.baseAddress, &outLength, algorithm, nil)
            }
        }
        precondition(ok == 1, "EVP_Digest failed inside OpenSSL")
        return Array(out.prefix(Int(outLength)))
    }
}
