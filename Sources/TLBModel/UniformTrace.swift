/// Accesses spread uniformly over every mapped byte (8-byte aligned).
public struct UniformTrace: TraceGenerator {
    public let space: AddressSpace
    private var random: TraceRandom

    public init(space: AddressSpace, seed: UInt64) {
        self.space = space
        random = TraceRandom(seed: seed)
    }

    @inline(__always) public mutating func next() -> UInt64 {
        space.va(at: random.below(space.bytes) & ~7)
    }
}
