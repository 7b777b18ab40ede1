/// XOR masking of payload bytes (RFC 6455 §5.3), eight bytes per step.
enum WebSocketMasking {
    /// Masks or unmasks `buffer` in place with `key` (4 bytes), starting at key offset 0.
    static func apply(key: [UInt8], to buffer: UnsafeMutableRawBufferPointer) {
        precondition(key.count == 4, "a WebSocket masking key is exactly 4 bytes")
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let count = buffer.count
        let wideKey = [key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]
            .withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        var index = 0
        while index + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            base.storeBytes(of: word ^ wideKey, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        // `index` is a multiple of 8 here, so the key phase is `index & 3`.
        while index < count {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            base.storeBytes(of: byte ^ key[index & 3], toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }

    /// Masks or unmasks a byte array in place.
    static func apply(key: [UInt8], to bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { apply(key: key, to: $0) }
    }
}
