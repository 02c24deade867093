import LinearMap
import PageTableModel
import TLBModel

/// The reference of an operation that rewrote descriptors in place (`calib_kind`
/// walk-rewrite): as many root-to-leaf walks through the run's own tables as it wrote
/// descriptors, each at a page drawn uniformly from RAM, storing the leaf back. Such an
/// operation is dependent loads into tables the size of the map plus a store each, so
/// its time follows the host's memory latency; a memset of the few bytes it wrote sits
/// in L1 and does not.
enum WalkRewrite {
    /// Walks `count` seeded addresses of `layout`'s RAM through `pt`, storing each leaf
    /// descriptor back as it was (the map is unchanged); the descriptors loaded.
    static func run(_ pt: PageTable, _ layout: MachineLayout, count: Int) -> Int {
        var trace = UniformTrace(space: AddressSpace(layout: layout), seed: 0x5eed)
        // A zero the optimiser cannot see, so each store stays a store of a loaded value.
        let unchanged = UInt64(truncatingIfNeeded: Calibration.now() >> 63)
        var loads = 0
        for _ in 0..<count {
            loads &+= BareWalk.walk(pt, trace.next()) { table, index, e in table[index] = Descriptor(raw: e.raw ^ unchanged) }
        }
        return loads
    }
}
