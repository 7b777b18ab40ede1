import Foundation
import Testing
@testable import SparkCodec

@Suite struct SparkAuthVerifierTests {
    static let lite = SparkCredentials(appID: "app", apiKey: "addd2272b6d8b7c8abdd79531420ca3b", apiSecret: "MjlmNzkzNmZkMDQ2OTc0ZDdmNGE2ZTZi")
    static let docDate = "Fri, 05 May 2023 10:43:39 GMT"

    static func now(_ date: String = docDate, offset: Double = 0) -> UnixTime {
        HTTPDate.parse(date)!.adding(seconds: offset)
    }

    static func query(authorizationOrigin: String, date: String = docDate, host: String = "spark-api.xf-yun.com") -> String {
        "authorization=\(FormURLEncoding.encode(Base64Helper.encode(authorizationOrigin)))&date=\(FormURLEncoding.encode(date))&host=\(FormURLEncoding.encode(host))"
    }

    @Test func everyVectorVerifies() throws {
        let vectors = try Fixtures.authVectors().vectors
        for vector in vectors {
            let verifier = SparkAuthVerifier(credentials: [vector.inputs.credentials])
            let failure = verifier.verify(path: vector.inputs.path, query: vector.expected.query, hostHeader: vector.inputs.host,
                                          now: Self.now(vector.inputs.date))
            #expect(failure == nil, "\(vector.name)")
            let withoutHostHeader = verifier.verify(path: vector.inputs.path, query: vector.expected.query, hostHeader: nil,
                                                    now: Self.now(vector.inputs.date))
            #expect(withoutHostHeader == nil, "\(vector.name)")
        }
    }

    @Test func everyAcceptedVariantVerifies() throws {
        let fixture = try Fixtures.authVectors()
        #expect(fixture.accepted_variants_observed.count == 4)
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        for variant in fixture.accepted_variants_observed {
            let base = try #require(fixture.vector(named: variant.based_on))
            let date = variant.inputs?.date ?? base.inputs.date
            // The fixture's authorization must be base64 of its authorization_origin.
            #expect(Base64Helper.encode(variant.authorization_origin) == variant.authorization, "\(variant.name)")
            let effectiveQuery: String
            if let query = variant.query {
                effectiveQuery = query
            } else if let url = variant.url, let query = url.split(separator: "?", maxSplits: 1).last {
                effectiveQuery = String(query)
            } else {
                effectiveQuery = Self.query(authorizationOrigin: variant.authorization_origin, date: date)
            }
            if let signatureOrigin = variant.signature_origin, let inputs = variant.inputs {
                let signed = SparkURLSigner.sign(credentials: inputs.credentials, scheme: inputs.scheme, host: inputs.host,
                                                 path: inputs.path, date: inputs.date)
                #expect(signed.signatureOrigin == signatureOrigin)
                #expect(signed.signature == variant.signature)
                #expect(signed.query == variant.query)
            }
            let failure = verifier.verify(path: base.inputs.path, query: effectiveQuery, hostHeader: base.inputs.host, now: Self.now(date))
            #expect(failure == nil, "\(variant.name)")
        }
    }

    @Test func noSpacesAfterCommasVariantBuiltFromOrigin() {
        let origin = "api_key=\"addd2272b6d8b7c8abdd79531420ca3b\",algorithm=\"hmac-sha256\",headers=\"host date request-line\",signature=\"z5gHdu3pxVV4ADMyk467wOWDQ9q6BQzR3nfMTjc/DaQ=\""
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        #expect(verifier.verify(path: "/v1.1/chat", query: Self.query(authorizationOrigin: origin), hostHeader: nil, now: Self.now()) == nil)
    }

    @Test func percentTwentySpacesAreAccepted() throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let query = vector.expected.query.replacingOccurrences(of: "+", with: "%20")
        #expect(query.contains("%20"))
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        #expect(verifier.verify(path: "/v1.1/chat", query: query, hostHeader: "spark-api.xf-yun.com", now: Self.now()) == nil)
    }

    @Test func parameterOrderDoesNotMatter() throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let parts = vector.expected.query.split(separator: "&").reversed().joined(separator: "&")
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        #expect(verifier.verify(path: "/v1.1/chat", query: parts, hostHeader: nil, now: Self.now()) == nil)
    }

    @Test func authenticateReturnsTheMatchingCredentials() throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "ultra-4.0"))
        let other = vector.inputs.credentials
        let verifier = SparkAuthVerifier(credentials: [Self.lite, other])
        let result = verifier.authenticate(path: vector.inputs.path, query: vector.expected.query, hostHeader: nil,
                                           now: Self.now(vector.inputs.date))
        #expect(try result.get() == other)
    }

    @Test func handshakeFailureTableIsCovered() throws {
        let cases = try Fixtures.authVectors().handshake_failures.cases
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        let good = vector.expected.query
        let dateAndHost = "date=\(FormURLEncoding.encode(Self.docDate))&host=spark-api.xf-yun.com"
        for failureCase in cases {
            let expected = SparkAuthFailure(httpStatus: failureCase.http_status, message: failureCase.body.message)
            switch failureCase.body.message {
            case "Unauthorized":
                #expect(verifier.verify(path: "/v1.1/chat", query: dateAndHost, hostHeader: nil, now: Self.now()) == expected)
                #expect(verifier.verify(path: "/v1.1/chat", query: nil, hostHeader: nil, now: Self.now()) == expected)
                #expect(verifier.verify(path: "/v1.1/chat", query: "authorization=&" + dateAndHost, hostHeader: nil, now: Self.now()) == expected)
                #expect(expected == .unauthorized)
            case "HMAC signature cannot be verified":
                #expect(expected == .signatureCannotBeVerified)
                let unknownKey = SparkAuthVerifier(credentials: [SparkCredentials(appID: "x", apiKey: "other", apiSecret: "s")])
                #expect(unknownKey.verify(path: "/v1.1/chat", query: good, hostHeader: nil, now: Self.now()) == expected)
                let broken = [
                    "not base64 !!",
                    Base64Helper.encode("garbage"),
                    Base64Helper.encode("api_key=\"addd2272b6d8b7c8abdd79531420ca3b\", algorithm=\"hmac-sha256\", headers=\"host date request-line\""),
                    Base64Helper.encode("algorithm=\"hmac-sha256\", headers=\"host date request-line\", signature=\"z5gHdu3pxVV4ADMyk467wOWDQ9q6BQzR3nfMTjc/DaQ=\""),
                    Base64Helper.encode("api_key=\"addd2272b6d8b7c8abdd79531420ca3b\", algorithm=\"hmac-sha1\", headers=\"host date request-line\", signature=\"z5gHdu3pxVV4ADMyk467wOWDQ9q6BQzR3nfMTjc/DaQ=\""),
                    Base64Helper.encode("api_key=\"addd2272b6d8b7c8abdd79531420ca3b\", algorithm=\"hmac-sha256\", headers=\"host date\", signature=\"z5gHdu3pxVV4ADMyk467wOWDQ9q6BQzR3nfMTjc/DaQ=\""),
                ]
                for authorization in broken {
                    let query = "authorization=\(FormURLEncoding.encode(authorization))&" + dateAndHost
                    #expect(verifier.verify(path: "/v1.1/chat", query: query, hostHeader: nil, now: Self.now()) == expected, "\(authorization)")
                }
            case "HMAC signature does not match":
                #expect(expected == .signatureDoesNotMatch)
                let wrongSecret = SparkAuthVerifier(credentials: [SparkCredentials(appID: "a", apiKey: Self.lite.apiKey, apiSecret: "wrong")])
                #expect(wrongSecret.verify(path: "/v1.1/chat", query: good, hostHeader: nil, now: Self.now()) == expected)
                #expect(verifier.verify(path: "/v3.5/chat", query: good, hostHeader: nil, now: Self.now()) == expected)
                #expect(verifier.verify(path: "/v1.1/chat", query: good, hostHeader: "evil.example", now: Self.now()) == expected)
                let otherHost = good.replacingOccurrences(of: "host=spark-api.xf-yun.com", with: "host=127.0.0.1")
                #expect(verifier.verify(path: "/v1.1/chat", query: otherHost, hostHeader: nil, now: Self.now()) == expected)
                let otherDate = good.replacingOccurrences(of: "10%3A43%3A39", with: "10%3A43%3A40")
                #expect(verifier.verify(path: "/v1.1/chat", query: otherDate, hostHeader: nil, now: Self.now()) == expected)
                let badSignature = Self.query(authorizationOrigin: "api_key=\"addd2272b6d8b7c8abdd79531420ca3b\", algorithm=\"hmac-sha256\", headers=\"host date request-line\", signature=\"***\"")
                #expect(verifier.verify(path: "/v1.1/chat", query: badSignature, hostHeader: nil, now: Self.now()) == expected)
            case "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication":
                #expect(expected == .invalidDate)
                let noDate = good.replacingOccurrences(of: "&date=Fri%2C+05+May+2023+10%3A43%3A39+GMT", with: "")
                #expect(verifier.verify(path: "/v1.1/chat", query: noDate, hostHeader: nil, now: Self.now()) == expected)
                let garbageDate = good.replacingOccurrences(of: "Fri%2C+05", with: "Friday%2C+05")
                #expect(verifier.verify(path: "/v1.1/chat", query: garbageDate, hostHeader: nil, now: Self.now()) == expected)
                #expect(verifier.verify(path: "/v1.1/chat", query: good, hostHeader: nil, now: Self.now(offset: 3600)) == expected)
            case "Your IP address is not allowed":
                #expect(expected == .ipNotAllowed)
                let restricted = SparkAuthVerifier(credentials: [Self.lite], allowedClientAddresses: ["10.0.0.1"])
                #expect(restricted.verify(path: "/v1.1/chat", query: good, hostHeader: nil, clientAddress: "10.0.0.2", now: Self.now()) == expected)
                #expect(restricted.verify(path: "/v1.1/chat", query: nil, hostHeader: nil, clientAddress: nil, now: Self.now()) == expected)
                #expect(restricted.verify(path: "/v1.1/chat", query: good, hostHeader: nil, clientAddress: "10.0.0.1", now: Self.now()) == nil)
                #expect(verifier.verify(path: "/v1.1/chat", query: good, hostHeader: nil, clientAddress: "10.0.0.2", now: Self.now()) == nil)
            default:
                Issue.record("unknown handshake failure \(failureCase.body.message)")
            }
        }
        #expect(cases.count == 5)
    }

    @Test(arguments: [299.0, 300.0, -299.0, -300.0])
    func skewWithinLimitIsAccepted(offset: TimeInterval) throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        #expect(verifier.verify(path: "/v1.1/chat", query: vector.expected.query, hostHeader: nil, now: Self.now(offset: offset)) == nil)
    }

    @Test(arguments: [301.0, -301.0, 86400.0])
    func skewBeyondLimitIsRejected(offset: TimeInterval) throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        #expect(verifier.verify(path: "/v1.1/chat", query: vector.expected.query, hostHeader: nil, now: Self.now(offset: offset)) == .invalidDate)
    }

    @Test func checkOrderMatchesTheGateway() {
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        // No authorization beats a bad date; a bad date beats an unparseable authorization.
        #expect(verifier.verify(path: "/v1.1/chat", query: "date=nonsense", hostHeader: nil, now: Self.now()) == .unauthorized)
        #expect(verifier.verify(path: "/v1.1/chat", query: "authorization=Zm9v&date=nonsense", hostHeader: nil, now: Self.now()) == .invalidDate)
        #expect(verifier.verify(path: "/v1.1/chat", query: "authorization=%ZZ", hostHeader: nil, now: Self.now()) == .signatureCannotBeVerified)
    }

    @Test func hostHeaderComparisonIgnoresCase() throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        #expect(verifier.verify(path: "/v1.1/chat", query: vector.expected.query, hostHeader: "Spark-API.xf-yun.com", now: Self.now()) == nil)
    }

    @Test func missingHostParameterFallsBackToHostHeader() throws {
        let vector = try #require(try Fixtures.authVectors().vector(named: "doc-example-lite"))
        let noHost = vector.expected.query.replacingOccurrences(of: "&host=spark-api.xf-yun.com", with: "")
        let verifier = SparkAuthVerifier(credentials: [Self.lite])
        #expect(verifier.verify(path: "/v1.1/chat", query: noHost, hostHeader: "spark-api.xf-yun.com", now: Self.now()) == nil)
        #expect(verifier.verify(path: "/v1.1/chat", query: noHost, hostHeader: nil, now: Self.now()) == .signatureDoesNotMatch)
    }
}
