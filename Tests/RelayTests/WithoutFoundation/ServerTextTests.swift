import Foundation
import Testing
@testable import Relay
import SparkCodec

/// The small text helpers that replaced Foundation calls in the server, checked against Foundation.
@Suite struct ServerTextTests {
    static let samples = ["", " ", "\t", "a", " a ", "\ta b\t", "\n x \r\n", "\u{00A0}nbsp\u{00A0}", "\u{3000}全角\u{3000}",
                          "\u{2028}ls\u{2029}", "  \n\n  ", "x\u{0085}", "🚀 ", " é\u{301} "]

    @Test(arguments: samples) func trimmingSpacesMatchesFoundation(text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
    }

    @Test(arguments: samples) func trimmingWhitespaceMatchesFoundation(text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(text.isBlank == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test func fixedPointMatchesStringFormat() {
        var values: [Double] = [0, 1, -1, 0.005, 0.015, 0.125, 2.675, 1234.5678, -0.004, -0.006, 99.995, 1e-9, 123_456_789.987]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { values.append(Double.random(in: -100_000...100_000, using: &generator)) }
        for value in values {
            for decimals in [0, 1, 2, 3] {
                // printf rounds exact binary ties to even; skip values whose scaled form is within 1e-6 of a tie.
                var scale = 1.0
                for _ in 0..<decimals { scale *= 10 }
                let scaled = abs(value) * scale
                guard abs(scaled - scaled.rounded(.down) - 0.5) > 1e-6 else { continue }
                #expect(FixedPoint.format(value, decimals: decimals) == String(format: "%.\(decimals)f", value), "\(value) \(decimals)")
            }
        }
        #expect(FixedPoint.format(2, decimals: 2) == "2.00")
        #expect(FixedPoint.format(.infinity, decimals: 2) == "inf")
    }

    @Test func pathSegmentDecodingMatchesFoundation() {
        let samples = ["a%20b", "a+b", "%E8%AE%AF", "%e8%ae%af", "100%", "%zz", "%4", "%C3%28", "plain", "%2F", "%00", ""]
        for sample in samples {
            #expect(FormURLEncoding.decodePathSegment(sample) == sample.removingPercentEncoding, "\(sample)")
        }
    }

    @Test(arguments: [("/srv/www/index.html", "text/html; charset=utf-8"), ("/srv/www/app.JS", "text/javascript; charset=utf-8"),
                      ("/srv/www/.hidden", "application/octet-stream"), ("/srv/v1.2/README", "application/octet-stream"),
                      ("/srv/www/a.b.css", "text/css; charset=utf-8"), ("/srv/www/x.", "application/octet-stream")])
    func contentTypeFollowsTheLastExtension(path: String, expected: String) {
        #expect(StaticFileHandler.contentType(for: path) == expected)
    }
}
