import Foundation

/// Encodes response bodies as compact JSON (slashes unescaped, keys in declaration order).
enum JSONBody {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Only reachable for non-finite floats; the relay never encodes those.
            return Array(#"{"error":{"type":"server_error","code":"encoding_failed","message":"response could not be encoded"}}"#.utf8)
        }
    }
}
