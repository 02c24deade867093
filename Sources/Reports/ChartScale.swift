import Foundation

/// How a value axis maps numbers to positions.
public enum AxisScale: Sendable, Equatable {
    case linear, log
    /// Log when every value is positive and they span more than two decades (max/min > 100).
    case auto
}

/// A chart that cannot be drawn from the data given.
public struct ChartError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One axis' domain and ticks: log axes tick at powers of ten, linear ones at 1-2-5 steps.
struct ChartScale {
    let lo: Double
    let hi: Double
    let isLog: Bool
    let ticks: [Double]

    /// `includeZero`: bar lengths are only honest from zero on a linear axis.
    init(values: [Double], scale: AxisScale, includeZero: Bool) throws(ChartError) {
        let positive = values.filter { $0 > 0 }
        let spansDecades = positive.count == values.count && !values.isEmpty
            && positive.max()! / positive.min()! > 100
        isLog = scale == .log || (scale == .auto && spansDecades)
        if isLog {
            guard let minP = positive.min(), let maxP = positive.max() else {
                throw ChartError("a log axis needs at least one positive value")
            }
            let first = floor(log10(minP)), top = max(ceil(log10(maxP)), first + 1)
            // Every power of ten, or every k-th once there are too many to label.
            let every = Double(Int((top - first) / 8) + 1)
            let last = first + ceil((top - first) / every) * every
            lo = pow(10, first)
            hi = pow(10, last)
            ticks = stride(from: first, through: last, by: every).map { pow(10, $0) }
        } else {
            var low = (values + (includeZero ? [0] : [])).min() ?? 0
            var high = (values + (includeZero ? [0] : [])).max() ?? 1
            if low == high { (low, high) = low == 0 ? (0, 1) : (min(0, low), max(0, high)) }
            let step = Self.niceStep((high - low) / 5)
            lo = floor(low / step) * step
            hi = ceil(high / step) * step
            ticks = stride(from: lo, through: hi + step / 2, by: step).map { abs($0) < step / 1e6 ? 0 : $0 }
        }
    }

    /// The fraction of the axis length at which `v` lies (values off a log axis sit at 0).
    func fraction(_ v: Double) -> Double {
        guard isLog else { return (v - lo) / (hi - lo) }
        return v > 0 ? (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) : 0
    }

    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) }!
    }
}

/// Tick labels such as 2.5K, 1M, 10G (decimal SI multiples), or 0.05.
func compactNumber(_ v: Double) -> String {
    for (power, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")] where abs(v) >= power {
        return String(format: "%.3g", v / power) + suffix
    }
    return String(format: "%.3g", v)
}
