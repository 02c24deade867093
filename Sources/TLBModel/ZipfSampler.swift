import Foundation

/// Ranks 1…n with P(k) ∝ k^-s, drawn in O(1) by rejection-inversion (Hörmann and
/// Derflinger, 1996): invert the integral H of the continuous density x^-s over a
/// proposal that covers each rank by a unit-width interval, and accept when the
/// draw falls inside the rank's own share.
public struct ZipfSampler: Sendable {
    public let count: UInt64
    public let exponent: Double
    private let hFirst: Double
    private let hLast: Double
    /// Draws within this distance of their rank are accepted without the exact test.
    private let squeeze: Double

    /// `--zipf`: the exponent must be positive.
    public init(count: UInt64, exponent s: Double) throws(TLBModelError) {
        guard s > 0, s.isFinite else { throw TLBModelError("--zipf: the exponent must be a positive number (got \(s))") }
        guard count > 0 else { throw TLBModelError("--zipf: nothing to draw from (0 pages or items)") }
        self.count = count
        exponent = s
        hFirst = Self.integral(1.5, s) - 1
        hLast = Self.integral(Double(count) + 0.5, s)
        squeeze = 2 - Self.inverse(Self.integral(2.5, s) - Self.density(2, s), s)
    }

    /// A rank in 1…count.
    @inline(__always) public func next(_ random: inout TraceRandom) -> UInt64 {
        let s = exponent
        while true {
            let u = hLast + random.unit() * (hFirst - hLast)
            let x = Self.inverse(u, s)
            let k = min(max(x + 0.5, 1), Double(count)).rounded(.down)
            if k - x <= squeeze || u >= Self.integral(k + 0.5, s) - Self.density(k, s) {
                return UInt64(k)
            }
        }
    }

    @inline(__always) static func density(_ x: Double, _ s: Double) -> Double { exp(-s * log(x)) }

    /// H(x) = (x^(1-s) - 1) / (1-s), log x at s = 1, written to stay exact near s = 1.
    @inline(__always) static func integral(_ x: Double, _ s: Double) -> Double {
        let lx = log(x)
        return expm1Ratio((1 - s) * lx) * lx
    }

    /// H⁻¹(y) = (1 + (1-s)·y)^(1/(1-s)), exp(y) at s = 1.
    @inline(__always) static func inverse(_ y: Double, _ s: Double) -> Double {
        let t = max((1 - s) * y, -1)
        return exp(log1pRatio(t) * y)
    }

    /// expm1(t)/t, 1 at t = 0.
    @inline(__always) static func expm1Ratio(_ t: Double) -> Double { abs(t) > 1e-8 ? expm1(t) / t : 1 + t / 2 }
    /// log1p(t)/t, 1 at t = 0.
    @inline(__always) static func log1pRatio(_ t: Double) -> Double { abs(t) > 1e-8 ? log1p(t) / t : 1 - t / 2 }
}
