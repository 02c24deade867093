/// A streaming pass through the mapped space, `stride` bytes at a time, from a seeded
/// page-aligned starting point, wrapping at the end.
public struct SequentialTrace: TraceGenerator {
    public let space: AddressSpace
    public let stride: UInt64
    private var offset: UInt64

    public init(space: AddressSpace, stride: UInt64 = 64, seed: UInt64) {
        precondition(stride > 0 && stride < space.bytes, "stride must be positive and below the space's size")
        self.space = space
        self.stride = stride
        var random = TraceRandom(seed: seed)
        offset = random.below(space.bytes / 4096) * 4096
    }

    @inline(__always) public mutating func next() -> UInt64 {
        let va = space.va(at: offset)
        offset += stride
        if offset >= space.bytes { offset -= space.bytes }
        return va
    }
}
