import LinearMap
import PageTableModel

/// Uniform accesses within a working set of `bytes` (page-rounded) placed at a seeded
/// page-aligned spot inside one mapped range.
public struct HotSetTrace: TraceGenerator {
    public let base: UInt64
    public let bytes: UInt64
    private var random: TraceRandom

    /// `--working-set`: must fit in one mapped range.
    public init(space: AddressSpace, bytes: UInt64, seed: UInt64) throws(TLBModelError) {
        random = TraceRandom(seed: seed)
        // Bounded by a bank first, so the page rounding cannot wrap.
        let largest = space.ranges.map { $0.end - $0.start }.max() ?? 0
        guard bytes > 0, bytes <= largest, let base = Self.place(alignUp(bytes, 4096), in: space, &random) else {
            throw TLBModelError("--working-set: \(bytes) bytes must be positive and fit in one memory bank (at most \(ByteSize.format(largest)))")
        }
        self.base = base
        self.bytes = alignUp(bytes, 4096)
    }

    @inline(__always) public mutating func next() -> UInt64 { base + random.below(bytes) & ~7 }

    /// A page-aligned start for `bytes` inside one range, each possible start equally likely.
    static func place(_ bytes: UInt64, in space: AddressSpace, _ random: inout TraceRandom) -> UInt64? {
        guard bytes > 0 else { return nil }
        let starts = space.ranges.map { $0.end - $0.start >= bytes ? ($0.end - $0.start - bytes) / 4096 + 1 : 0 }
        let total = starts.reduce(0, +)
        guard total > 0 else { return nil }
        var pick = random.below(total)
        for (r, n) in zip(space.ranges, starts) {
            if pick < n { return r.start + pick * 4096 }
            pick -= n
        }
        return nil
    }
}
