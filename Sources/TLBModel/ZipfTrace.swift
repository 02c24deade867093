/// Accesses to pages with Zipf(s) popularity. Ranks are scattered over the mapped
/// pages by a seeded permutation (or, unscattered, rank k is the k-th page); the
/// offset within the page is a uniform 64-byte line.
public struct ZipfTrace: TraceGenerator {
    public let space: AddressSpace
    public let sampler: ZipfSampler
    private let scatter: AffinePermutation?
    private var random: TraceRandom

    /// Scattered ranks need at most 2^32 pages (16 TiB), the permutation's limit.
    public init(space: AddressSpace, exponent: Double, scattered: Bool = true, seed: UInt64) throws(TLBModelError) {
        guard !scattered || space.pages <= 1 << 32 else {
            throw TLBModelError("--memory: the zipf trace scatters ranks over at most 2^32 pages; use at most 16T")
        }
        self.space = space
        sampler = try ZipfSampler(count: space.pages, exponent: exponent)
        random = TraceRandom(seed: seed)
        scatter = scattered ? AffinePermutation(count: space.pages, random: &random) : nil
    }

    @inline(__always) public mutating func next() -> UInt64 {
        let rank = sampler.next(&random) - 1
        let page = scatter.map { $0(rank) } ?? rank
        return space.va(at: page << 12 | random.below(64) << 6)
    }
}
