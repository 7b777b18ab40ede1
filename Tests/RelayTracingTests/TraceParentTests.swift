import RelayTracing
import Testing

/// `traceparent` parsing and writing by W3C Trace Context level 1, with the spec's examples and
/// every malformed form.
@Suite struct TraceParentTests {
    static let specExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func parsesTheSpecsExample() throws {
        let parent = try #require(TraceParent(Self.specExample))
        #expect(parent.version == 0)
        #expect(parent.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(parent.parentID.hexString == "00f067aa0ba902b7")
        #expect(parent.flags == 0x01)
        #expect(parent.isSampled)
        #expect(parent.headerValue == Self.specExample)
    }

    @Test func readsTheSampledFlagAndKeepsOtherFlagsAsReceived() throws {
        let unsampled = try #require(TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        #expect(!unsampled.isSampled)
        let otherBits = try #require(TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe"))
        #expect(!otherBits.isSampled)
        #expect(otherBits.flags == 0xFE)
        #expect(try #require(TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")).isSampled)
    }

    @Test func aFutureVersionIsReadByItsFirst55Characters() throws {
        let longer = try #require(TraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like"))
        #expect(longer.version == 0xCC)
        #expect(longer.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(longer.isSampled)
        #expect(longer.headerValue == Self.specExample, "written back as version 00")
        #expect(TraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") != nil)
        // Past 55 characters a future version needs a dash.
        #expect(TraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x") == nil)
        #expect(TraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what") == nil)
        // Its first fields follow version 00's rules.
        #expect(TraceParent("cc-00000000000000000000000000000000-00f067aa0ba902b7-01-x") == nil)
    }

    @Test func ignoresSurroundingWhitespace() throws {
        #expect(TraceParent("  \(Self.specExample)\t")?.headerValue == Self.specExample)
    }

    @Test(arguments: [
        "",
        "00",
        // Version ff is invalid; version 00 is exactly 55 characters.
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        // All-zero ids.
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        // Uppercase hex anywhere.
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
        "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
        // Not hex.
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
        "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-x1",
        // Wrong field lengths and separators.
        "00-4bf92f3577b34da6a3ce929d0e0e47366-0f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
        "004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "00-4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7-01",
        // Two fields joined (a repeated header).
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ])
    func refusesMalformedValues(_ value: String) {
        #expect(TraceParent(value) == nil)
    }

    @Test func writesPaddedLowercaseHex() {
        let parent = TraceParent(traceID: TraceID(high: 1, low: 0xAB), parentID: SpanID(0x0C), flags: 0)
        #expect(parent.headerValue == "00-000000000000000100000000000000ab-000000000000000c-00")
        #expect(TraceParent(parent.headerValue) == parent)
    }

    @Test func randomIDsAreValidAndDistinct() {
        let traceIDs = Set((0..<1000).map { _ in TraceID.random() })
        let spanIDs = Set((0..<1000).map { _ in SpanID.random() })
        #expect(traceIDs.count == 1000)
        #expect(spanIDs.count == 1000)
        #expect(traceIDs.allSatisfy { $0.isValid })
        #expect(spanIDs.allSatisfy { $0.isValid })
        #expect(TraceID(hex: TraceID.random().hexString) != nil)
    }
}
