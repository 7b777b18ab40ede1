import Foundation
import RelayCrypto
@testable import SparkCodec

/// Loads the fixtures in `Tests/SparkCodecTests/Fixtures/` (Sources/SparkCodec/README.md §8) from
/// the test bundle.
enum Fixtures {
    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw FixtureError.missing(name)
        }
        return try Data(contentsOf: url)
    }

    /// The lines of a `.jsonl` fixture, as bytes, empty lines dropped.
    static func lines(_ name: String) throws -> [[UInt8]] {
        try Array(data(name)).split(separator: UInt8(ascii: "\n")).map { Array($0) }.filter { !$0.isEmpty }
    }

    static func authVectors() throws -> AuthVectors {
        try JSONDecoder().decode(AuthVectors.self, from: data("auth-vectors.json"))
    }

    enum FixtureError: Error {
        case missing(String)
    }
}

/// `auth-vectors.json`.
struct AuthVectors: Decodable {
    struct Inputs: Decodable {
        let api_key: String
        let api_secret: String
        let scheme: String
        let host: String
        let path: String
        let method: String
        let date: String
    }

    struct Expected: Decodable {
        let signature_origin: String
        let signature: String
        let authorization_origin: String
        let authorization: String
        let query: String
        let url: String
    }

    struct Vector: Decodable {
        let name: String
        let domain: String
        let inputs: Inputs
        let expected: Expected
    }

    struct Variant: Decodable {
        let name: String
        let based_on: String
        let inputs: Inputs?
        let signature_origin: String?
        let signature: String?
        let authorization_origin: String
        let authorization: String
        let query: String?
        let url: String?
    }

    struct Failure: Decodable {
        struct Body: Decodable {
            let message: String
        }

        let http_status: Int
        let body: Body
        let cause: String
    }

    struct Failures: Decodable {
        let cases: [Failure]
    }

    let vectors: [Vector]
    let accepted_variants_observed: [Variant]
    let handshake_failures: Failures

    func vector(named name: String) -> Vector? {
        vectors.first(where: { $0.name == name })
    }
}

extension AuthVectors.Inputs {
    var credentials: SparkCredentials {
        SparkCredentials(appID: "app12345", apiKey: api_key, apiSecret: api_secret)
    }
}

extension Array where Element == UInt8 {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}

/// Base64 of a string's UTF-8 bytes, for building authorization parameters in tests.
enum Base64Helper {
    static func encode(_ text: String) -> String {
        Base64.encode(Array(text.utf8))
    }
}
