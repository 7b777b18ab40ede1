import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's `RAND_bytes` (WebSocket mask keys, ticket ids).
public enum SecureRandom {
    /// `count` random bytes. Traps if the CSPRNG fails: continuing with weak randomness would be worse.
    public static func bytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        precondition(ok == 1, "RAND_bytes failed: no secure randomness available")
        return out
    }

    /// `count` random bytes as lowercase hex (2 characters per byte).
    public static func hex(byteCount count: Int) -> String {
        Hex.encode(bytes(count: count))
    }
}
