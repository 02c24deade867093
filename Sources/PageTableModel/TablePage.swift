import CStreamingStores

/// One 4 KiB translation table: the model's only view of raw descriptor memory.
///
/// A table's "physical address" in a table descriptor is the host address of its
/// storage, so a walk is a load, a mask and a pointer cast.
public struct TablePage: Equatable, Hashable {
    @usableFromInline let base: UnsafeMutablePointer<UInt64>

    @inlinable init(base: UnsafeMutablePointer<UInt64>) { self.base = base }

    /// The table a table descriptor points at.
    @inlinable public init(_ descriptor: Descriptor) {
        base = UnsafeMutablePointer(bitPattern: UInt(descriptor.outputAddress))!
    }

    @inlinable public var address: UInt64 { UInt64(UInt(bitPattern: base)) }

    /// Uncounted access, for the oracle, the verifier and tests. Walkers go through
    /// `PageTable`'s instrumented primitives instead.
    @inlinable public subscript(i: Int) -> Descriptor {
        get { Descriptor(raw: base[i]) }
        nonmutating set { base[i] = newValue.raw }
    }

    /// Fills `count` entries from `start` with `first`, advancing the output address by `step`.
    @inlinable func fill(from start: Int, count: Int, first: UInt64, step: UInt64) {
        // Unchecked index arithmetic keeps the loop a plain vectorisable store stream.
        let p = base + start
        var value = first
        var k = 0
        while k < count {
            p[k] = value
            value &+= step
            k &+= 1
        }
    }

    /// `fill` of the whole table (`count` entries) with streaming stores: the lines go to
    /// memory without being read in first, and leave the cache.
    @inlinable func stream(count: Int, first: UInt64, step: UInt64) {
        splitbench_stream_fill(base, count, first, step)
    }

    @inlinable func zero(entries: Int) { base.update(repeating: 0, count: entries) }
}
