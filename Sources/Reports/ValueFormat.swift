import Foundation

/// What an axis' numbers are, which decides its ticks and how values read.
public enum ValueUnit: Sendable, Equatable {
    /// Counts and rates: decimal ticks (1K, 10K); values with grouped digits (131,314).
    case count
    /// Bytes: ticks at powers of two, values in KiB, MiB, GiB, TiB.
    case bytes
    /// A share 0…1, read as a percentage.
    case fraction

    /// A tick label: short, as an axis shows it.
    func tick(_ v: Double) -> String {
        switch self {
        case .count: compactNumber(v)
        case .bytes: binarySize(v)
        case .fraction: percent(v)
        }
    }

    /// A value printed on a bar or in a tooltip: exact where it is a whole number.
    func value(_ v: Double) -> String {
        switch self {
        case .count: groupedDigits(v)
        case .bytes: binarySize(v)
        case .fraction: percent(v)
        }
    }
}

/// Tick labels such as 2.5K, 1M, 10G (decimal SI multiples), or 0.05.
func compactNumber(_ v: Double) -> String {
    for (power, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")] where abs(v) >= power {
        return shortest(v / power, digits: 3) + suffix
    }
    return shortest(v, digits: 3)
}

/// Whole numbers with thousands separators (131,314); others to four significant digits.
func groupedDigits(_ v: Double) -> String {
    guard v == v.rounded(), abs(v) < 1e18 else { return shortest(v, digits: 4) }
    let digits = String(Int64(abs(v)))
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (v < 0 ? "-" : "") + out
}

/// Bytes in the largest binary unit that leaves at least 1: "256 GiB", "12 KiB", "512.9 MiB".
func binarySize(_ bytes: Double) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var v = bytes, unit = 0
    while abs(v) >= 1024 && unit < units.count - 1 {
        v /= 1024
        unit += 1
    }
    return shortest(v, digits: 4) + " " + units[unit]
}

/// A share 0…1 as a percentage: 0.01 → "1 %", 0.005 → "0.5 %".
func percent(_ fraction: Double) -> String { shortest(fraction * 100, digits: 3) + " %" }

/// `v` to `digits` significant digits without trailing zeros or an exponent (1e-5 → 0.00001).
func shortest(_ v: Double, digits: Int) -> String {
    guard v != 0 else { return "0" }
    let decimals = max(0, digits - 1 - Int(floor(log10(abs(v)))))
    var s = String(format: "%.\(decimals)f", v)
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s
}
