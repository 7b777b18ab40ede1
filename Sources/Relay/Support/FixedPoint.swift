/// Decimal text for log fields and reports without `String(format:)` (no Foundation in the server).
enum FixedPoint {
    /// `value` rounded to `decimals` places (0...9), always that many digits, as `printf("%.Nf")` prints
    /// it except on exact binary ties (rounded away from zero here): `format(3.14159, decimals: 2) == "3.14"`.
    static func format(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        let places = min(max(decimals, 0), 9)
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9.0e18 else { return String(value) }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        let fraction = units % UInt64(scale)
        let sign = value.sign == .minus ? "-" : ""  // as printf: -0.001 is "-0.00"
        guard places > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: places - digits.count) + digits
    }
}
