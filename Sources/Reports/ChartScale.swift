import Foundation

/// How a value axis maps numbers to positions.
public enum AxisScale: Sendable, Equatable {
    case linear, log
    /// Log when no value is negative and the positive ones span more than two decades
    /// (max/min > 100); zeros sit at the base of a bar or in a line chart's zero slot.
    case auto
}

/// A chart that cannot be drawn from the data given.
public struct ChartError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One axis' domain and ticks. Linear axes tick at 1-2-5 steps (powers of two for bytes);
/// log axes at powers of ten (of two for bytes, so 256 GiB is a tick, not "275G"), with
/// the 2 and 5 between them when the axis spans few decades.
struct ChartScale {
    let lo: Double
    let hi: Double
    let isLog: Bool
    /// A log axis that also shows 0: the first `zeroGap` of its length holds the 0 tick (at
    /// `zeroAt`, off the other axis' line), then a break, then the decades.
    let hasZeroSlot: Bool
    let ticks: [Double]
    let unit: ValueUnit
    static let zeroGap = 0.12, zeroAt = 0.025

    /// `includeZero`: bar lengths are only honest from zero on a linear axis.
    /// `zeroSlot`: a log axis gives 0 a place of its own; without it, 0 sits at the axis' base.
    /// `headroom`: the share of the axis to keep free above the largest value (for labels).
    init(values: [Double], axis: Axis, includeZero: Bool = false, zeroSlot: Bool = false,
         maxTicks: Int = 8, headroom: Double = 0) throws(ChartError) {
        unit = axis.unit
        let positive = values.filter { $0 > 0 }
        let spansDecades = !positive.isEmpty && !values.contains { $0 < 0 } && positive.max()! / positive.min()! > 100
        isLog = axis.scale == .log || (axis.scale == .auto && spansDecades)
        guard isLog else {
            hasZeroSlot = false
            // Counts of whole things tick at whole numbers.
            let whole = values.allSatisfy { $0 == $0.rounded() }
            (lo, hi, ticks) = Self.linear(values + (includeZero ? [0] : []), bytes: unit == .bytes, whole: whole, headroom: headroom)
            return
        }
        guard let minP = positive.min(), let maxP = positive.max() else {
            throw ChartError("a log axis needs at least one positive value")
        }
        if let negative = values.first(where: { $0 < 0 }) {
            throw ChartError("\(shortest(negative, digits: 6)) cannot be shown on a log axis")
        }
        hasZeroSlot = zeroSlot && values.contains(0)
        let base = unit == .bytes ? 2.0 : 10
        let (first, last, steps) = Self.logRange(minP, maxP, base: base, maxTicks: maxTicks, headroom: headroom)
        lo = pow(base, first)
        hi = pow(base, last)
        ticks = (hasZeroSlot ? [0] : []) + steps
    }

    /// The fraction of the axis length at which `v` lies (values off a log axis sit at 0).
    func fraction(_ v: Double) -> Double {
        guard isLog else { return (v - lo) / (hi - lo) }
        guard v > 0 else { return hasZeroSlot ? Self.zeroAt : 0 }
        let f = (log(v) - log(lo)) / (log(hi) - log(lo))
        return hasZeroSlot ? Self.zeroGap + f * (1 - Self.zeroGap) : f
    }

    func label(_ tick: Double) -> String { unit.tick(tick) }

    /// A linear domain from 1-2-5 (or power-of-two) steps, five or so of them.
    private static func linear(_ values: [Double], bytes: Bool, whole: Bool, headroom: Double) -> (Double, Double, [Double]) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if low == high { (low, high) = low == 0 ? (0, 1) : (min(0, low), max(0, high)) }
        high = low + (high - low) / (1 - headroom)
        let raw = (high - low) / 5, step = bytes ? binaryStep(raw) : whole ? max(niceStep(raw), 1) : niceStep(raw)
        let lo = floor(low / step) * step, hi = ceil(high / step) * step
        let ticks = stride(from: lo, through: hi + step / 2, by: step).map { abs($0) < step / 1e6 ? 0 : $0 }
        return (lo, hi, ticks)
    }

    /// Exponents of a log domain and its ticks: whole powers, or every k-th power once there
    /// are more than `maxTicks`; decimal axes over at most two decades also tick at 2 and 5.
    /// With headroom the domain ends just above it rather than a whole power later.
    private static func logRange(_ minP: Double, _ maxP: Double, base: Double, maxTicks: Int,
                                 headroom: Double) -> (Double, Double, [Double]) {
        let lMin = log(minP) / log(base), lMax = log(maxP) / log(base)
        let first = floor(lMin + 1e-9)
        let needed = max(first + (lMax - first) / (1 - headroom), first + 1)
        let top = headroom > 0 ? needed : ceil(needed - 1e-9)
        let every = (base == 2 ? [1.0, 2, 10, 20] : [1.0, 2, 5, 10, 20, 50]).first { ceil((top - first) / $0) + 1 <= Double(maxTicks) } ?? 100
        let start = floor(first / every) * every, end = headroom > 0 ? top : ceil(top / every) * every
        let powers = stride(from: start, through: end + 1e-9, by: every).map { pow(base, $0) }
        let ticks = base == 10 && end - start <= 2 ? powers.flatMap { [$0, 2 * $0, 5 * $0] } : powers
        return (start, end, ticks.filter { $0 <= pow(base, end) * (1 + 1e-9) })
    }

    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) }!
    }

    /// The smallest power of two at least `raw` (bytes: 0, 128 MiB, 256 MiB, …).
    static func binaryStep(_ raw: Double) -> Double { pow(2, ceil(log2(raw) - 1e-9)) }
}
