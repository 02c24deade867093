import LinearMap
import PageTableModel
import TLBModel

/// The reference of an operation that rewrote descriptors in place (`calib_kind`
/// walk-rewrite), shaped like it: as many root-to-leaf descents through the run's own
/// tables as it made (`walks`), each at a page drawn uniformly from RAM, and its
/// descriptors written shared out among them as runs of consecutive entries stored back
/// along the leaf table (a new descent where a table ends). A set_memory_* range is a few
/// descents and long runs; debug-pagealloc one descent per page. Either way its time
/// follows the host's memory latency and the stores, which a memset of the few bytes
/// written, sitting in L1, does not.
enum WalkRewrite {
    /// Below this many descents plus stores the reference is repeated (its time divided
    /// back), so the clock's own cost does not dominate it.
    static let minimumTouches = 512

    /// The CPU time of `descents` descents storing `stores` descriptors back as they were
    /// (the map is unchanged) through `pt`, and the descriptors they load: one pass's, of
    /// as many as make `minimumTouches`.
    static func time(_ pt: PageTable, _ layout: MachineLayout, descents: Int, stores: Int) -> (ns: UInt64, loads: Int) {
        let descents = max(descents, 1), repeats = max(1, minimumTouches / (descents + stores))
        // Built untimed: drawing pages is the reference's work, building the space is not.
        var trace = UniformTrace(space: AddressSpace(layout: layout), seed: 0x5eed), loads = 0
        let ns = Calibration.time { loads = run(pt, &trace, descents: descents, stores: stores, repeats: repeats) }
        return (ns / UInt64(repeats), loads / repeats)
    }

    private static func run(_ pt: PageTable, _ trace: inout UniformTrace, descents: Int, stores: Int, repeats: Int) -> Int {
        // A zero the optimiser cannot see, so each store stays a store of a loaded value.
        let unchanged = UInt64(truncatingIfNeeded: Calibration.now() >> 63)
        var loads = 0
        for _ in 0..<repeats {
            for d in 0..<descents {
                // The first `stores % descents` runs take one store more.
                var left = stores / descents + (d < stores % descents ? 1 : 0), va = trace.next()
                repeat {
                    var stored = 0
                    let depth = BareWalk.walk(pt, va) { table, index, _ in
                        stored = min(left, pt.geometry.entriesPerTable - index)
                        for i in index..<index + stored { table[i] = Descriptor(raw: table[i].raw ^ unchanged) }
                    }
                    loads &+= depth + max(stored - 1, 0)
                    left -= stored
                    va &+= UInt64(stored) &* pt.geometry.size(Level(rawValue: depth - 1)!)
                } while left > 0
            }
        }
        return loads
    }
}
