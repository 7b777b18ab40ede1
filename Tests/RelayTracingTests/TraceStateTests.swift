import RelayTracing
import Testing

/// `tracestate`: kept verbatim when valid and within 32 members and 512 characters, else dropped.
@Suite struct TraceStateTests {
    @Test func keepsTheSpecsExampleVerbatim() throws {
        #expect(TraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")?.headerValue == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        #expect(TraceState("congo=t61rcWkgMzE")?.headerValue == "congo=t61rcWkgMzE")
    }

    @Test func acceptsOptionalWhitespaceEmptyMembersAndMultiTenantKeys() {
        #expect(TraceState(" rojo=1 ,\tcongo=2\t")?.headerValue == "rojo=1 ,\tcongo=2")
        #expect(TraceState("rojo=1,,congo=2,")?.headerValue == "rojo=1,,congo=2,")
        #expect(TraceState("fw529a3039@dt=ZmY=") == nil, "'=' is not allowed in a value")
        #expect(TraceState("fw529a3039@dt=Zm Y") != nil, "inner spaces are allowed")
        #expect(TraceState("1tenant@vendor=v") != nil)
        #expect(TraceState("a_b-c*d/e=v") != nil)
        #expect(TraceState("k=" + String(repeating: "v", count: 256)) != nil)
    }

    @Test func thirtyTwoMembersAreKeptAndThirtyThreeDropped() {
        let members = (0..<32).map { "k\($0)=v" }
        #expect(TraceState(members.joined(separator: ",")) != nil)
        #expect(TraceState((members + ["k32=v"]).joined(separator: ",")) == nil)
    }

    @Test func aValueOver512CharactersIsDropped() {
        // 5 members of 100 characters plus separators: 504, then one more member goes past 512.
        let member = { (index: Int) in "k\(index)=" + String(repeating: "v", count: 97) }
        let within = (0..<5).map(member).joined(separator: ",")
        #expect(within.utf8.count == 504)
        #expect(TraceState(within) != nil)
        #expect(TraceState(within + ",k9=vvvvv") == nil)
    }

    @Test(arguments: [
        "", " ", ",", "rojo", "rojo=", "=value", "Rojo=1", "1rojo=1", "rojo=1,rojo=2", "rojo=a,b",
        "ro jo=1", "rojo=\u{7F}", "rojo=é", "tenant@=v", "@vendor=v", "tenant@Vendor=v", "tenant@1vendor=v",
        "tenant@vendor0123456789=v", "a@b@c=v",
    ])
    func dropsMalformedValues(_ value: String) {
        #expect(TraceState(value) == nil)
    }

    @Test func keyAndValueLengthBounds() {
        #expect(TraceState("a" + String(repeating: "b", count: 255) + "=v") != nil)
        #expect(TraceState("a" + String(repeating: "b", count: 256) + "=v") == nil)
        #expect(TraceState("k=" + String(repeating: "v", count: 257)) == nil)
        #expect(TraceState(String(repeating: "t", count: 241) + "@" + String(repeating: "s", count: 14) + "=v") != nil)
        #expect(TraceState(String(repeating: "t", count: 242) + "@s=v") == nil)
    }
}
