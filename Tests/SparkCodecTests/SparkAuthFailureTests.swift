import Testing
@testable import SparkCodec

@Suite struct SparkAuthFailureTests {
    @Test func bodiesAreSparksJSON() throws {
        for failureCase in try Fixtures.authVectors().handshake_failures.cases {
            let failure = SparkAuthFailure(httpStatus: failureCase.http_status, message: failureCase.body.message)
            #expect(failure.jsonBody == "{\"message\":\"\(failureCase.body.message)\"}")
        }
        #expect(SparkAuthFailure.unauthorized.jsonBody == "{\"message\":\"Unauthorized\"}")
        #expect(SparkAuthFailure.invalidDate.httpStatus == 403)
        #expect(SparkAuthFailure(httpStatus: 401, message: "a\"b").jsonBody == "{\"message\":\"a\\\"b\"}")
        #expect(SparkAuthFailure.signatureDoesNotMatch.description == "401 HMAC signature does not match")
    }
}
