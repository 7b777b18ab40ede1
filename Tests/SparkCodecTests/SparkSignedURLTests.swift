import Testing
@testable import SparkCodec

@Suite struct SparkSignedURLTests {
    @Test func descriptionIsRedacted() throws {
        for vector in try Fixtures.authVectors().vectors {
            let inputs = vector.inputs
            let signed = SparkURLSigner.sign(credentials: inputs.credentials, scheme: inputs.scheme, host: inputs.host,
                                             path: inputs.path, date: inputs.date)
            let renderings = [signed.description, signed.debugDescription, "\(signed)", String(reflecting: signed), dumped(signed)]
            for text in renderings {
                #expect(text.contains("\(inputs.scheme)://\(inputs.host)\(inputs.path)"))
                #expect(!text.contains(signed.signature))
                #expect(!text.contains(signed.authorization))
                #expect(!text.contains(FormURLEncoding.encode(signed.authorization)))
                #expect(!text.contains(inputs.api_secret))
                #expect(!text.contains(String(signed.authorization.prefix(16))))
            }
            #expect(signed.description == "\(inputs.scheme)://\(inputs.host)\(inputs.path)?<signed query redacted>")
        }
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
