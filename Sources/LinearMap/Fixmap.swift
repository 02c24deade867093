import PageTableModel

/// The four states of the create path that Ryan Roberts' v6.10 series measured, named
/// after the rows of its cover letter's table (spec §5, §7). Each differs from the one
/// before only in how often a table is reached through the fixmap and which PTE store
/// the fill uses.
public enum CreatePath: String, Sendable, CaseIterable {
    /// v6.9: a PTE table is fixmapped once per CONT_PTE block it is filled in, a PMD table
    /// once per CONT_PMD block; every new table is zeroed through its own FIX_PTE map and
    /// unmap; every PTE is a barrier-bearing __set_pte.
    case base
    /// 5c63db59c5f8: each table is fixmapped once per call that fills it.
    case noContRemap = "no-cont-remap"
    /// 1fcb7cea8a5f: PTEs are stored with __set_pte_nosync; the unmap's flush publishes them.
    case batchBarriers = "batch-barriers"
    /// 0e9df1c905d8 (v6.10 to v6.18): a new table is zeroed through the mapping that
    /// fills it, followed by an explicit `dsb ishst` (init_clear_pgtable).
    case noAllocRemap = "no-alloc-remap"

    /// What v6.10 onwards run.
    public static let current = CreatePath.noAllocRemap

    /// The fill stores PTEs with the nosync variant.
    public var batchesPTEs: Bool { self == .batchBarriers || self == .noAllocRemap }
    /// A table is mapped once per filling call rather than once per CONT block.
    public var mapsOncePerCall: Bool { self != .base }
    /// A new table is zeroed through the mapping that fills it.
    public var zeroesThroughFillMapping: Bool { self == .noAllocRemap }
}

/// The fixmap slots the create path uses to reach the table it writes (arm64
/// asm/fixmap.h's FIX_PTE, FIX_PMD, FIX_PUD, and FIX_PGD for set_swapper_pgd once rodata
/// is read-only; FIX_P4D, between them, is unused with 4 levels).
///
/// map = __set_fixmap(slot, table, PAGE_KERNEL): a __set_pte of a valid kernel entry into
/// the slot's PTE (an emit; nothing is lazy at boot). unmap = a __pte_clear of that PTE
/// (a store of zero: no barrier) and flush_tlb_kernel_range of the slot's one page, so
/// FEAT_TLBIRANGE and REPEAT_TLBI act on it as on every other flush.
public struct Fixmap: Sendable, Equatable {
    public enum Slot: Int, Sendable, CaseIterable {
        case pte = 0, pmd = 1, pud = 2, pgd = 4

        /// The slot that maps a table of `level`.
        public init(table level: Level) {
            switch level {
            case .pud: self = .pud
            case .pmd: self = .pmd
            default: self = .pte
            }
        }
    }

    public var flush: TLBFlush

    public init(flush: TLBFlush = TLBFlush()) { self.flush = flush }

    /// The slot's VA: a modelled address in the fixmap region, below the top of the kernel
    /// VA space and outside the linear map (only an attached TLB model sees it).
    public static func va(of slot: Slot) -> UInt64 { 0xffff_ffff_fe00_0000 &- UInt64(slot.rawValue + 1) << 12 }

    /// Map `table` at `slot`.
    public func map(_ pt: PageTable, _ slot: Slot, _ table: TablePage) {
        pt.writePTE(pt.fixmapTable, slot.rawValue, Prot.kernel.with(outputAddress: table.address))
    }

    /// Unmap `slot`: clear its PTE, then flush its one page.
    public func unmap(_ pt: PageTable, _ slot: Slot) {
        pt.writePTE(pt.fixmapTable, slot.rawValue, .zero)
        let va = Self.va(of: slot)
        flush.flushKernelRange(pt, from: va, to: va &+ pt.geometry.pageSize)
    }

    /// set_p4d (or p4d_clear) of root entry `i`: in swapper_pg_dir, so set_swapper_pgd
    /// (arch/arm64/mm/mmu.c). While rodata_is_rw (boot, until mark_rodata_ro) a direct
    /// WRITE_ONCE, dsb ishst, isb; after it, under swapper_pgdir_lock (a spinlock: not
    /// counted), the root page mapped at FIX_PGD, the entry stored through that alias and
    /// the slot unmapped, whose one-page flush is the `dsb ishst` the store needs.
    public func setSwapperPGD(_ pt: PageTable, _ i: Int, _ value: Descriptor, rodataReadOnly: Bool) {
        guard rodataReadOnly else { return pt.setPGD(pt.root, i, value) }
        map(pt, .pgd, pt.root)
        pt.storePGD(pt.root, i, value)
        unmap(pt, .pgd)
    }
}
