import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ (API keys, signatures).
public enum ConstantTime {
    /// `true` when both byte strings are equal. Length differences return early: lengths are not secret here
    /// (both sides are fixed-size digests or signatures).
    public static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        let a = Array(lhs)
        let b = Array(rhs)
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { aBuffer in
            b.withUnsafeBytes { bBuffer in
                CRYPTO_memcmp(aBuffer.baseAddress, bBuffer.baseAddress, aBuffer.count) == 0
            }
        }
    }
}
