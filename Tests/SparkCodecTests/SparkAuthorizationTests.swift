import Testing
@testable import SparkCodec

@Suite struct SparkAuthorizationTests {
    static let signature = "z5gHdu3pxVV4ADMyk467wOWDQ9q6BQzR3nfMTjc/DaQ="

    @Test func canonicalFormMatchesTheVector() throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        #expect(SparkAuthorization.canonical(apiKey: vector.inputs.api_key, signature: vector.expected.signature)
            == vector.expected.authorization_origin)
    }

    @Test func parsesEveryObservedVariant() throws {
        let fixture = try Fixtures.authVectors()
        let origins = fixture.accepted_variants_observed.map(\.authorization_origin) + fixture.vectors.map(\.expected.authorization_origin)
        for origin in origins {
            let parsed = try #require(SparkAuthorization.parse(origin), "\(origin)")
            #expect(parsed.algorithm == "hmac-sha256")
            #expect(parsed.headers == ["host", "date", "request-line"])
            #expect(parsed.apiKey.count >= 32)
            #expect(parsed.signature.count == 44)
        }
    }

    @Test func toleratesWhitespaceAndScheme() throws {
        let parsed = try #require(SparkAuthorization.parse(
            "  HMAC   username = \"k\" ,algorithm=\"hmac-sha256\",\theaders=\"date  host request-line\" , signature=\"\(Self.signature)\"  "))
        #expect(parsed == SparkAuthorization(apiKey: "k", algorithm: "hmac-sha256", headers: ["date", "host", "request-line"], signature: Self.signature))
    }

    @Test(arguments: [
        "",
        "api_key=\"k\"",
        "api_key=\"k\", algorithm=\"hmac-sha256\", headers=\"host date request-line\"",
        "api_key=k, algorithm=\"hmac-sha256\", headers=\"host date request-line\", signature=\"s\"",
        "api_key=\"k\", api_key=\"k\", algorithm=\"hmac-sha256\", headers=\"host date request-line\", signature=\"s\"",
        "api_key=\"\", algorithm=\"hmac-sha256\", headers=\"host date request-line\", signature=\"s\"",
        "api_key=\"k\", algorithm=\"hmac-sha256\", headers=\"host date request-line\", signature=\"s\",",
        "api_key=\"k\" algorithm=\"hmac-sha256\" headers=\"host date request-line\" signature=\"s\"",
    ])
    func rejectsBrokenText(text: String) {
        #expect(SparkAuthorization.parse(text) == nil)
    }
}
