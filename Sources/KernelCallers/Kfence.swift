import PageTableModel
import LinearMap
import SplitWalkers

/// A late-initialised kfence pool on a block-mapped linear map (spec §6, Callers).
///
/// Commit ce2b3a50ad92 (arch_kfence_init_pool): split the 2 MiB pool to PTEs up front with
/// W4 (GFP_KERNEL, under pgtable_split_lock, no TLB flush: BBML2 lets stale block entries
/// linger), after which W1 returns early for pool addresses. Before it, the pool was split
/// piecemeal as kfence_init_pool protected each guard page through set_memory_valid (W1 each).
/// Commit b7737c38e7cb narrows the split's early exit to force_pte_mapping() alone
/// (`KernelContext.kfenceInitCheck`).
///
/// Pool layout (page indices 0..<512): kfence_init_pool protects pages 0 and 1 (page 0 is
/// an extra guard that makes the count even), then object i (0..<255) lives at page 2 + 2i
/// with its guard at 3 + 2i: the protected pages are 0 and every odd page, 257 in all.
public enum Kfence {
    public enum Variant: String, Sendable, CaseIterable {
        /// Commit ce2b3a50ad92: W4 over the pool, then the guard protections.
        case splitPool = "ce2b3a50ad92"
        /// Before it: the guard protections alone, each splitting through W1.
        case perGuardPage = "before-ce2b3a50ad92"
    }

    /// CONFIG_KFENCE_NUM_OBJECTS.
    public static let objects = 255
    /// KFENCE_POOL_SIZE in pages: (objects + 1) · 2.
    public static let poolPages = (objects + 1) * 2
    public static let poolSize = UInt64(poolPages) * 4096

    /// The costs of the two phases of late init.
    public struct Phases: Sendable, Equatable {
        /// arch_kfence_init_pool (nothing for `perGuardPage`).
        public var split = Counters()
        /// The guard protections of kfence_init_pool.
        public var protect = Counters()
    }

    /// Where alloc_contig_pages might put the pool: a 2 MiB-aligned, 2 MiB slot drawn by
    /// `seed` among those `pt` maps with a block, outside the kernel alias — or, on a map
    /// with no block (PTE-mapped at boot), among the 2 MiB-aligned slots of the banks.
    /// nil if none.
    public static func placeLatePool(in pt: PageTable, layout: MachineLayout, seed: UInt64) -> Range<UInt64>? {
        let alias = layout.kernelAliasVA
        func outsideAlias(_ r: (start: UInt64, end: UInt64)) -> Bool { r.end <= alias.start || r.start >= alias.end }
        let blocks = pt.leaves(from: layout.linearStart, to: layout.linearEnd).filter { $0.level != .pte }.map { ($0.va, $0.end) }
            .filter(outsideAlias)
        let ranges = blocks.isEmpty ? layout.linearRanges.flatMap { r in
            [(r.lowerBound, min(r.upperBound, alias.start)), (max(r.lowerBound, alias.end), r.upperBound)]
                .map { (alignUp($0.0, poolSize), alignDown($0.1, poolSize)) }
        } : blocks
        func slots(_ r: (start: UInt64, end: UInt64)) -> UInt64 {
            guard r.end > r.start, outsideAlias(r) else { return 0 }
            return (r.end - r.start) / poolSize
        }
        let total = ranges.reduce(0) { $0 + slots($1) }
        guard total > 0 else { return nil }
        var rng = SplitMix64(seed: seed)
        var k = rng.below(total)
        for r in ranges {
            let n = slots(r)
            if k < n { return (r.0 + k * poolSize)..<(r.0 + (k + 1) * poolSize) }
            k -= n
        }
        return nil
    }

    /// Whether arch_kfence_init_pool splits a late pool rather than returning early because
    /// the linear map is known to be PTE-mapped. The two checks differ only without
    /// BBML2_NOABORT and without force_pte_mapping(), which a late pool rules out in the
    /// kernel (it makes force_pte_mapping() true there).
    public static func splitsPool(_ context: KernelContext) -> Bool {
        switch context.kfenceInitCheck {
        case .v6_18: context.bbml2 && context.systemBBML2 && !context.forcePTEMapping
        case .b7737c38e7cb: !context.forcePTEMapping
        }
    }

    /// The pages kfence_init_pool protects: 0 and every odd page.
    public static func protectedPages(of pool: Range<UInt64>) -> [UInt64] {
        [pool.lowerBound] + stride(from: 1, to: poolPages, by: 2).map { pool.lowerBound + UInt64($0) * 4096 }
    }

    /// Late init of `pool` on `pt`. `protectGuards` runs kfence_init_pool's protections
    /// after the split. The variant decides W1's version; the rest of the kernel is
    /// `context`'s.
    public static func lateInit(pt: PageTable, pool: Range<UInt64>, variant: Variant, protectGuards: Bool = true,
                                context: KernelContext = KernelContext()) throws(KernelError) -> Phases {
        var phases = Phases()
        var options = WalkerOptions(context: context)
        var start = pt.counters
        switch variant {
        case .splitPool:
            if splitsPool(context) {
                options.allocation = .kernel
                pt.takeSplitLock()
                try makeWalker(.pagewalk, options: options).split(pt, from: pool.lowerBound, to: pool.upperBound)
            }
            phases.split = pt.counters.since(start)
            options.context.kfencePool = pool
            // ce2b3a50ad92 is in: W1 is v6.18's, or a later one.
            if options.context.leafSplit == .beforeCE2B3A50AD92 { options.context.leafSplit = .v6_18 }
        case .perGuardPage:
            options.context.leafSplit = .beforeCE2B3A50AD92
        }
        guard protectGuards else { return phases }
        start = pt.counters
        // kfence_protect → kfence_protect_page → set_memory_valid(addr, 1, 0).
        let perms = Permissions(pt: pt, context: options.context)
        for page in protectedPages(of: pool) {
            try perms.setMemoryValid(page, pages: 1, enable: false)
        }
        phases.protect = pt.counters.since(start)
        return phases
    }
}
