import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers

/// The benchmarked workloads, shared by the benchmark targets and PerfTargets so every
/// figure (timings, ratios, counts) comes from the same code.
public enum Workload {
    /// 'single' with 256 GiB of RAM.
    public static func layout(gib: UInt64 = 256) -> MachineLayout {
        try! .builtin("single", memory: gib << 30)
    }

    /// A fresh map of `layout` in its own arena.
    public static func map(_ layout: MachineLayout, mode: MappingMode) -> PageTable {
        let pt = try! PageTable()
        try! LinearMapBuilder(layout: layout, mode: mode).build(into: pt)
        return pt
    }

    /// linear_map_split_to_ptes, v6.18 variant (W4 with GFP_ATOMIC).
    public static func repaint(_ pt: PageTable, _ layout: MachineLayout, lazy: Bool) {
        try! Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .pagewalk, context: lazyContext(lazy))
    }

    /// The storm's requests: 10,000 seeded runs of 1–512 pages (powers of two).
    public static func stormRequests(_ layout: MachineLayout, count: Int = 10_000) -> [PermRequest] {
        Array(try! PermRequests(layout: layout, count: count, size: .powerOfTwo(maxLog2: 9), seed: 42))
    }

    /// A read-only then a writable change of every linear range (__change_memory_common, what
    /// set_memory_ro/rw run per alias page under rodata=full), split by `walker`, with lazy
    /// batching on or off for both the walker and the rewrite.
    public static func storm(_ pt: PageTable, _ requests: [PermRequest], walker: WalkerKind, lazy: Bool) {
        let perms = Permissions(pt: pt, context: lazyContext(lazy), walker: walker)
        for r in requests {
            try! perms.changeMemoryCommon(r.start, size: r.size, .readOnly)
            try! perms.changeMemoryCommon(r.start, size: r.size, .readWrite)
        }
    }
}

/// The default kernel with lazy MMU `lazy`.
public func lazyContext(_ lazy: Bool) -> KernelContext {
    var context = KernelContext()
    context.lazyMMU = lazy
    return context
}
