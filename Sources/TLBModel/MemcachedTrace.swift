import PageTableModel

/// A memcached-like kernel access mix, an approximation for TLB studies (not a trace
/// of real memcached). The mapped space is cut into item slots of `itemBytes`; each
/// access is one of:
/// - an item access (`itemShare`): a slot drawn by Zipf(`zipfExponent`) popularity,
///   ranks scattered over the slots, a random 64-byte line within the item;
/// - a slab access (`slabShare`): anywhere in the space, uniformly (allocation,
///   eviction, network buffers);
/// - a metadata access (the rest): uniform within a small hot region of
///   `metadataBytes` at a seeded place (hash buckets, LRU heads, slab-class headers).
public struct MemcachedMix: Equatable, Sendable {
    public var itemBytes: UInt64 = 1024
    public var zipfExponent = 0.99
    public var itemShare = 0.70
    public var slabShare = 0.25
    public var metadataBytes: UInt64 = 8 << 20
    public init() {}
}

public struct MemcachedTrace: TraceGenerator {
    public let space: AddressSpace
    public let mix: MemcachedMix
    private let items: ZipfSampler
    private let scatter: AffinePermutation
    private let metadataBase: UInt64
    private var random: TraceRandom

    public init(space: AddressSpace, mix: MemcachedMix = MemcachedMix(), seed: UInt64) throws(TLBModelError) {
        guard mix.itemBytes >= 64, mix.itemBytes <= space.bytes, mix.itemShare >= 0, mix.slabShare >= 0,
              mix.itemShare + mix.slabShare <= 1 else {
            throw TLBModelError("--trace: memcached mix needs 64 B ≤ item ≤ memory and item + slab shares ≤ 1")
        }
        self.space = space
        self.mix = mix
        random = TraceRandom(seed: seed)
        let slots = min(space.bytes / mix.itemBytes, 1 << 32)
        items = try ZipfSampler(count: slots, exponent: mix.zipfExponent)
        scatter = AffinePermutation(count: slots, random: &random)
        guard let base = HotSetTrace.place(alignUp(mix.metadataBytes, 4096), in: space, &random) else {
            throw TLBModelError("--trace: memcached metadata of \(mix.metadataBytes) bytes must fit in one memory bank")
        }
        metadataBase = base
    }

    @inline(__always) public mutating func next() -> UInt64 {
        let kind = random.unit()
        if kind < mix.itemShare {
            let slot = scatter(items.next(&random) - 1)
            return space.va(at: slot * mix.itemBytes + (random.below(mix.itemBytes) & ~63))
        }
        if kind < mix.itemShare + mix.slabShare {
            return space.va(at: random.below(space.bytes) & ~7)
        }
        return metadataBase + random.below(mix.metadataBytes) & ~7
    }
}
