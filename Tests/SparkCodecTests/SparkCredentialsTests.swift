import Testing
@testable import SparkCodec

@Suite struct SparkCredentialsTests {
    let credentials = SparkCredentials(appID: "12345678", apiKey: "addd2272b6d8b7c8abdd79531420ca3b",
                                       apiSecret: "MjlmNzkzNmZkMDQ2OTc0ZDdmNGE2ZTZi")

    @Test func renderingsNeverContainTheSecret() {
        var dumped = ""
        dump(credentials, to: &dumped)
        var dumpedInArray = ""
        dump([credentials], to: &dumpedInArray)
        let mirrorText = Mirror(reflecting: credentials).children.map { "\($0.label ?? ""): \($0.value)" }.joined(separator: ", ")
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials),
                     dumped, dumpedInArray, mirrorText, "\([credentials])", "\(Optional(credentials) as Any)"] {
            #expect(!text.contains("MjlmNzkzNmZkMDQ2OTc0ZDdmNGE2ZTZi"), "\(text)")
            #expect(!text.contains("MjlmNzkz"))
            #expect(!text.contains("addd2272b6d8b7c8abdd79531420ca3b"))
        }
        #expect(credentials.description == "SparkCredentials(appID: 12345678, apiKey: addd…, apiSecret: <redacted>)")
        #expect(dumped.contains("<redacted>"))
    }

    @Test func secretIsStillUsable() {
        #expect(credentials.apiSecret == "MjlmNzkzNmZkMDQ2OTc0ZDdmNGE2ZTZi")
        var copy = credentials
        copy.apiSecret = "other"
        #expect(copy != credentials)
        #expect(copy.apiSecret == "other")
        #expect(SparkCredentials(appID: "a", apiKey: "k", apiSecret: "s") == SparkCredentials(appID: "a", apiKey: "k", apiSecret: "s"))
    }

    @Test func shortKeysAreMasked() {
        #expect(SparkCredentials(appID: "a", apiKey: "abc", apiSecret: "s").apiKeyPrefix == "***")
    }
}
