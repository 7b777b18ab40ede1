import Foundation
import Testing
@testable import SparkCodec

@Suite struct SparkURLSignerTests {
    @Test func allSevenVectorsMatchEveryIntermediateValue() throws {
        let vectors = try Fixtures.authVectors().vectors
        #expect(vectors.count == 7)
        for vector in vectors {
            let inputs = vector.inputs
            #expect(inputs.method == "GET")
            let signed = SparkURLSigner.sign(
                credentials: inputs.credentials, scheme: inputs.scheme, host: inputs.host, path: inputs.path, date: inputs.date)
            #expect(signed.signatureOrigin == vector.expected.signature_origin, "\(vector.name)")
            #expect(signed.signature == vector.expected.signature, "\(vector.name)")
            #expect(signed.authorizationOrigin == vector.expected.authorization_origin, "\(vector.name)")
            #expect(signed.authorization == vector.expected.authorization, "\(vector.name)")
            #expect(signed.query == vector.expected.query, "\(vector.name)")
            #expect(signed.url == vector.expected.url, "\(vector.name)")
            #expect(signed.scheme == inputs.scheme && signed.host == inputs.host && signed.path == inputs.path)
            #expect(signed.date == inputs.date)
            #expect(signed.requestTarget == "\(inputs.path)?\(vector.expected.query)")
        }
    }

    @Test func signingAnEndpointAtADateEqualsTheVector() throws {
        let vectors = try Fixtures.authVectors().vectors
        for vector in vectors {
            let inputs = vector.inputs
            let endpoint = try #require(SparkEndpoint(url: "\(inputs.scheme)://\(inputs.host)\(inputs.path)"))
            let date = try #require(HTTPDate.parse(inputs.date))
            let signed = SparkURLSigner.sign(credentials: inputs.credentials, url: endpoint, date: date)
            #expect(signed.url == vector.expected.url, "\(vector.name)")
        }
    }

    @Test func differentSecretGivesDifferentSignature() throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let credentials = SparkCredentials(appID: "a", apiKey: vector.inputs.api_key, apiSecret: "other-secret")
        let signed = SparkURLSigner.sign(credentials: credentials, scheme: "wss", host: vector.inputs.host,
                                         path: vector.inputs.path, date: vector.inputs.date)
        #expect(signed.signature != vector.expected.signature)
    }
}
