import LinearMap
import PageTableModel

/// An endless, seeded stream of virtual addresses, produced one at a time.
public protocol TraceGenerator {
    mutating func next() -> UInt64
}

/// The generators' random source (wyrand): one multiply per draw, kept in this module
/// so a trace's `next()` inlines into the TLB loop.
public struct TraceRandom: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let p = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return p.high ^ p.low
    }

    /// Uniform in [0, n) by multiply-shift (bias below n / 2^64).
    @inline(__always) public mutating func below(_ n: UInt64) -> UInt64 { next().multipliedFullWidth(by: n).high }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// The mapped VA ranges a trace draws from, addressed as one run of bytes.
public struct AddressSpace: Equatable, Sendable {
    /// [start, end) VA ranges, in order.
    public let ranges: [(start: UInt64, end: UInt64)]
    public let bytes: UInt64

    public init(ranges: [(start: UInt64, end: UInt64)]) {
        self.ranges = ranges.filter { $0.end > $0.start }
        bytes = self.ranges.reduce(0) { $0 + ($1.end - $1.start) }
        precondition(bytes > 0, "an address space needs at least one byte")
    }

    /// The linear map of every memory bank of `layout`.
    public init(layout: MachineLayout) {
        self.init(ranges: layout.banks.map { (layout.va(ofPA: $0.start), layout.va(ofPA: $0.end)) })
    }

    public var pages: UInt64 { ranges.reduce(0) { $0 + ($1.end - $1.start) / 4096 } }

    /// The VA `offset` bytes into the space.
    @inline(__always) public func va(at offset: UInt64) -> UInt64 {
        var rest = offset
        for r in ranges {
            let size = r.end - r.start
            if rest < size { return r.start + rest }
            rest -= size
        }
        preconditionFailure("offset beyond the address space")
    }

    public static func == (a: AddressSpace, b: AddressSpace) -> Bool {
        a.ranges.elementsEqual(b.ranges) { $0 == $1 }
    }
}

/// A cheap bijection of [0, n): k ↦ (a·k + b) mod n with gcd(a, n) = 1, to scatter
/// popularity ranks over pages or items.
struct AffinePermutation: Sendable {
    let n: UInt64, a: UInt64, b: UInt64

    init(count n: UInt64, random: inout TraceRandom) {
        precondition(n > 0 && n <= 1 << 32, "permutations of up to 2^32 elements")
        self.n = n
        var a = max(1, UInt64(Double(n) * 0.618_033_988_75)) | 1
        while Self.gcd(a, n) != 1 { a += 1 }
        self.a = a % n == 0 ? 1 : a % n
        b = random.below(n)
    }

    @inline(__always) func callAsFunction(_ k: UInt64) -> UInt64 { (a &* k &+ b) % n }

    static func gcd(_ x: UInt64, _ y: UInt64) -> UInt64 { y == 0 ? x : gcd(y, x % y) }
}
