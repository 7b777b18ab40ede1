import Foundation
import Testing
@testable import SparkCodec

@Suite struct HTTPDateTests {
    @Test func formatsTheDocExample() {
        // 2023-05-05T10:43:39Z
        #expect(HTTPDate.format(UnixTime(secondsSince1970: 1_683_283_419)) == "Fri, 05 May 2023 10:43:39 GMT")
    }

    @Test(arguments: [
        (0.0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_709_164_800.0, "Thu, 29 Feb 2024 00:00:00 GMT"),
        (2_147_483_647.0, "Tue, 19 Jan 2038 03:14:07 GMT"),
        (2_147_483_648.0, "Tue, 19 Jan 2038 03:14:08 GMT"),
        (4_102_444_800.0, "Fri, 01 Jan 2100 00:00:00 GMT"),
        (1_735_689_599.0, "Tue, 31 Dec 2024 23:59:59 GMT"),
        (1_709_251_200.0, "Fri, 01 Mar 2024 00:00:00 GMT"),
        (253_402_300_799.0, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func formatAndParseRoundTrip(seconds: Double, text: String) {
        let date = UnixTime(secondsSince1970: seconds)
        #expect(HTTPDate.format(date) == text)
        #expect(HTTPDate.parse(text) == date)
    }

    @Test func singleDigitDayIsZeroPadded() {
        // 2025-11-03T07:08:09Z
        #expect(HTTPDate.format(UnixTime(secondsSince1970: 1_762_153_689)) == "Mon, 03 Nov 2025 07:08:09 GMT")
    }

    @Test func fractionalSecondsAreTruncated() {
        #expect(HTTPDate.format(UnixTime(secondsSince1970: 1_683_283_419.999)) == "Fri, 05 May 2023 10:43:39 GMT")
        #expect(HTTPDate.format(UnixTime(secondsSince1970: -0.5)) == "Wed, 31 Dec 1969 23:59:59 GMT")
    }

    @Test func acceptsUTCSuffix() {
        #expect(HTTPDate.parse("Fri, 05 May 2023 10:43:39 UTC") == UnixTime(secondsSince1970: 1_683_283_419))
    }

    @Test func everyVectorDateParsesAndReformats() throws {
        for vector in try Fixtures.authVectors().vectors {
            let date = try #require(HTTPDate.parse(vector.inputs.date))
            #expect(HTTPDate.format(date) == vector.inputs.date)
        }
    }

    @Test func roundTripsEveryDayOfALeapYear() {
        let start = 1_704_067_200.0 // 2024-01-01
        for day in 0..<366 {
            let date = UnixTime(secondsSince1970: start + Double(day) * 86400 + 3723)
            #expect(HTTPDate.parse(HTTPDate.format(date)) == date)
        }
    }

    @Test(arguments: [
        "",
        "Fri, 05 May 2023 10:43:39",
        "Fri, 05 May 2023 10:43:39 GMT ",
        " Fri, 05 May 2023 10:43:39 GMT",
        "Fri, 5 May 2023 10:43:39 GMT",
        "Friday, 05 May 2023 10:43:39 GMT",
        "Fri 05 May 2023 10:43:39 GMT",
        "Fri, 05 May 23 10:43:39 GMT",
        "Fri, 05 may 2023 10:43:39 GMT",
        "fri, 05 May 2023 10:43:39 GMT",
        "Fri, 05 May 2023 10:43:39 gmt",
        "Fri, 05 May 2023 10:43:39 PST",
        "Fri, 05 May 2023 10:43:39 +0000",
        "Sat, 05 May 2023 10:43:39 GMT",
        "Fri, 32 May 2023 10:43:39 GMT",
        "Thu, 29 Feb 2023 10:43:39 GMT",
        "Fri, 00 May 2023 10:43:39 GMT",
        "Fri, 05 May 2023 24:00:00 GMT",
        "Fri, 05 May 2023 10:60:39 GMT",
        "Fri, 05 May 2023 10:43:60 GMT",
        "Fri, 05 May 2023 1a:43:39 GMT",
        "Fri, 05 May 2023 10-43-39 GMT",
        "2023-05-05T10:43:39Z",
        "Friday, 05-May-23 10:43:39 GMT",
        "Fri May  5 10:43:39 2023",
        "Fri,\u{00A0}05 May 2023 10:43:39 GMT",
    ])
    func rejectsGarbage(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}

extension HTTPDateTests {
    @Test func extremeDatesAreClampedNotCrashing() {
        #expect(HTTPDate.format(UnixTime(secondsSince1970: 64_092_211_200)) == "Mon, 01 Jan 4001 00:00:00 GMT")
        #expect(HTTPDate.parse("Mon, 01 Jan 4001 00:00:00 GMT") == UnixTime(secondsSince1970: 64_092_211_200))
        #expect(HTTPDate.format(UnixTime(secondsSince1970: .infinity)) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.format(UnixTime(secondsSince1970: .nan)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(UnixTime(secondsSince1970: -.infinity)) == "Mon, 01 Jan 0001 00:00:00 GMT")
    }
}
