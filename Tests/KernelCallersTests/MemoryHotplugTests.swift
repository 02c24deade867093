import Testing
import PageTableModel
import LinearMap
import SplitWalkers
import KernelCallers

/// The 4 GiB 'single' layout (RAM [1 GiB, 5 GiB), memstart 1 GiB) with a hot bank right
/// above it at [5 GiB, 5 GiB + size). Its memmap is [64 MiB, 64 MiB + size / 64) into the
/// vmemmap: one 2 MiB PMD block per 128 MiB section, in the PMD table the boot memmap's 32
/// blocks [0, 64 MiB) already use.
private struct Machine {
    let layout: MachineLayout
    let pt: PageTable
    let hot: MemoryHotplug
    let bank: PhysRange

    init(_ configure: (inout KernelContext) -> Void = { _ in }, mode: MappingMode = .block, bank bytes: UInt64 = GiB,
         gib: UInt64 = 4) throws {
        layout = try singleLayout(gib: gib)
        var c = context(configure)
        c.forcePTEMapping = mode == .pte
        pt = try buildMap(layout, mode: mode)
        hot = MemoryHotplug(pt: pt, layout: layout, context: c)
        try hot.populateBootMemmap()
        bank = try MemoryHotplug.hotBank(above: layout, bytes: bytes)
        pt.counters = Counters()
    }

    var freed: Int { pt.allocator.pagesFreed }
    func va(_ offset: UInt64) -> UInt64 { layout.va(ofPA: bank.start + offset) }
}

/// `n` copies of a phase's barriers.
private func times(_ n: Int, _ b: Barriers) -> Barriers { (0..<n).reduce(Barriers()) { acc, _ in acc + b } }

/// __flush_tlb_kernel_pgtable: dsb ishst, tlbi vaae1is, dsb ish, isb (the TLBI is counted apart).
private let pgtableFlush = Barriers(dsbIshst: 1, isb: 1, dsbIsh: 1)

@Test func bootMemmapIsOnePMDBlockPerSection() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let tables = pt.allocator.pagesAllocated
    try MemoryHotplug(pt: pt, layout: layout, context: KernelContext()).populateBootMemmap()
    // 32 sections of 128 MiB: 32 blocks of 2 MiB of struct pages under a new PUD and PMD
    // table (zeroed by the allocator: no barrier); set_pgd, set_pud, 32 × set_pmd emit.
    #expect(Barriers(pt.counters) == pairs(34))
    #expect(pt.allocator.pagesAllocated - tables == 2)
    #expect(pt.translate(VmemmapRange.start)?.level == .pmd)
    #expect(pt.translate(VmemmapRange.start + 63 * MiB)?.level == .pmd)
    #expect(pt.translate(VmemmapRange.start + 64 * MiB) == nil)
    #expect(layout.vmemmapVA(ofPA: 5 * GiB) == VmemmapRange.start + 64 * MiB)
}

@Test func hotAddIsBlockMappedUnlessForcedToPTEs() throws {
    // Block: the PUD table is reached through FIX_PUD (map: an emit; unmap: a one-page
    // flush), the 1 GiB block is one set_pud; the memmap 8 set_pmd. No table.
    let block = try Machine()
    let booted = block.pt.allocator.pagesAllocated
    try block.hot.addMemory(block.bank)
    #expect(Barriers(block.pt.counters) == pairs(2 + 8) + flushBarriers(pages: 1))
    #expect(block.pt.allocator.pagesAllocated == booted)
    #expect(block.pt.translate(block.va(0))?.level == .pud)

    // force_pte_mapping: a PMD table and 512 PTE tables, each zeroed through its fixmap
    // slot (map: emit; dsb ishst) and populated (emit), each slot unmapped with a one-page
    // flush; the PUD slot's map and unmap; the memmap's 8 set_pmd.
    let pte = try Machine(mode: .pte)
    let before = pte.pt.allocator.pagesAllocated
    try pte.hot.addMemory(pte.bank)
    let tables = 1 + 512
    #expect(pte.pt.allocator.pagesAllocated - before == tables)
    #expect(Barriers(pte.pt.counters) == pairs(1 + 2 * tables + 8) + explicit(tables) + times(tables + 1, flushBarriers(pages: 1)))
    #expect(pte.pt.translate(pte.va(GiB - 4 * KiB))?.level == .pte)
    #expect(pte.pt.verify(linearOffset: pte.layout.linearOffset).isEmpty)
}

@Test func v7_1RefusesToRemoveAPUDMappedBank() throws {
    let m = try Machine { $0.hotplug = .v7_1 }
    try m.hot.addMemory(m.bank)
    m.pt.counters = Counters()
    // Every 128 MiB memory block's neighbour edge lies inside the 1 GiB leaf: the first
    // block's offline is refused, nothing changes, and only reads are counted.
    #expect(!m.hot.removeMemory(m.bank))
    #expect(!m.hot.removeMemory(PhysRange(start: m.bank.start, size: GiB / 2)))
    #expect(!m.hot.removeMemory(PhysRange(start: m.bank.start + GiB / 2, size: GiB / 2)))
    #expect(Barriers(m.pt.counters) == Barriers() && m.pt.counters.totalEntriesWritten == 0 && m.freed == 0)
    #expect(m.pt.translate(m.va(0))?.level == .pud)

    // As merged, the check examines the range after the block: the last block's own
    // start is inside the leaf, yet its offline passes.
    let last = PhysRange(start: m.bank.end - MemoryHotplug.memoryBlockBytes, size: MemoryHotplug.memoryBlockBytes)
    #expect(!m.hot.canUnmapWithoutSplit(last))
    #expect(!m.hot.offlineRefused(last))
}

@Test func v6_18RemovesHalfABlockBankWhole() throws {
    // Without the check, removing the first half clears the 1 GiB leaf whole: the second
    // half, still present memory, loses its linear map (what 95a58852b0e5 prevents).
    let m = try Machine()
    try m.hot.addMemory(m.bank)
    #expect(m.hot.removeMemory(PhysRange(start: m.bank.start, size: GiB / 2)))
    #expect(m.pt.translate(m.va(GiB / 2)) == nil)
}

@Test(arguments: [HotplugRules.v6_18, .v7_1], [false, true])
func pteMappedTeardownFlushes(rules: HotplugRules, range: Bool) throws {
    let m = try Machine({ $0.hotplug = rules; $0.tlbiRange = range }, mode: .pte)
    try m.hot.addMemory(m.bank)
    m.pt.counters = Counters()
    #expect(m.hot.removeMemory(m.bank))
    // 8 memmap blocks, 262144 PTEs; 512 PTE tables and their PMD table freed, each with
    // __flush_tlb_kernel_pgtable (the PUD table holds boot memory).
    let blocks = 8, ptes = 262_144, tables = 513
    let leafFlushes: Barriers
    switch (rules, range) {
    case (.v6_18, _):
        // One page per leaf, right after its clear, in both regions.
        leafFlushes = times(blocks + ptes, flushBarriers(pages: 1))
    case (.v7_1, false):
        // Each memmap block over its 512 pages (flush_tlb_all without range ops); the
        // linear map once over the bank's 262144 pages (flush_tlb_all).
        leafFlushes = times(blocks, flushBarriers(pages: 512)) + flushBarriers(pages: ptes)
    case (.v7_1, true):
        // 512 and 4 · 65536 pages are one range op each.
        leafFlushes = times(blocks + 1, Barriers(dsbIshst: 1, isb: 1, dsbIsh: 1, tlbiRange: 1))
    }
    #expect(Barriers(m.pt.counters) == leafFlushes + times(tables, pgtableFlush))
    #expect(m.pt.counters.tlbiPageAllLevels == tables && m.freed == tables)
    #expect(m.pt.translate(m.va(0)) == nil && m.pt.translate(VmemmapRange.start + 64 * MiB) == nil)
    #expect(m.pt.translate(VmemmapRange.start)?.level == .pmd)
    #expect(m.pt.verify(linearOffset: m.layout.linearOffset).isEmpty)
}

@Test(arguments: [HotplugRules.v6_18, .v7_1])
func blockMappedHalfGiBBankComesOff(rules: HotplugRules) throws {
    // [5 GiB, 5.5 GiB): 256 CONT PMD blocks under a PMD table of their own; the 128 MiB
    // block edges are CONT_PMD aligned, so v7.1 lets it go. The PMD table is freed.
    let m = try Machine({ $0.hotplug = rules }, bank: GiB / 2)
    try m.hot.addMemory(m.bank)
    #expect(m.pt.translate(m.va(0))?.level == .pmd)
    m.pt.counters = Counters()
    #expect(m.hot.removeMemory(m.bank))
    let leafFlushes = rules == .v6_18 ? times(4 + 256, flushBarriers(pages: 1))
                                      : times(4, flushBarriers(pages: 512)) + flushBarriers(pages: 131_072)
    #expect(Barriers(m.pt.counters) == leafFlushes + pgtableFlush)
    #expect(m.pt.counters.tlbiPageAllLevels == 1 && m.freed == 1)
}

@Test func churnSplitsTheBlockSoV7_1CanRemoveIt() throws {
    let m = try Machine { $0.hotplug = .v7_1 }
    try m.hot.addMemory(m.bank)
    // A one-page module-style area backed by a page 3 MiB + 8 KiB into the bank:
    // set_memory_ro splits its linear alias (split_pud, split_contpmd, split_pmd,
    // split_contpte); the map stays split after vfree.
    let perms = Permissions(pt: m.pt, context: m.hot.context, vmalloc: VmallocSpace(linearOffset: m.layout.linearOffset))
    let area = try perms.vmalloc(backing: [m.va(3 * MiB + 8 * KiB)])
    try perms.setMemoryRO(area.addr, pages: 1)
    try perms.vfree(area.addr)
    #expect(m.pt.translate(m.va(3 * MiB + 8 * KiB))?.level == .pte)
    #expect(m.pt.translate(m.va(0))?.level == .pmd)
    m.pt.counters = Counters()
    // No leaf spans a 128 MiB edge any more: removed; the PTE table and the PMD table the
    // split made are freed.
    #expect(m.hot.removeMemory(m.bank))
    #expect(m.freed == 2 && m.pt.counters.tlbiPageAllLevels == 2)
    #expect(m.pt.translate(m.va(3 * MiB)) == nil)
}

@Test func hotBankPlacementAndRefusals() throws {
    let layout = try singleLayout()
    #expect(try MemoryHotplug.hotBank(above: layout, bytes: GiB) == PhysRange(start: 5 * GiB, size: GiB))
    #expect(throws: LayoutError.self) { try MemoryHotplug.hotBank(above: layout, bytes: 64 * MiB) }
    // RAM [1 GiB, 513 GiB) fills the first root entry from memstart: the bank above takes
    // the next one.
    let big = try MachineLayout.builtin("single", memory: 512 * GiB)
    #expect(try MemoryHotplug.hotBank(above: big, bytes: GiB) == PhysRange(start: 513 * GiB, size: GiB))
    // RAM that fills the 128 TiB linear map leaves no room above it.
    let full = try MachineLayout.builtin("single", memory: LinearMapRange.span)
    #expect(throws: LayoutError.self) { try MemoryHotplug.hotBank(above: full, bytes: GiB) }
}

// MARK: A hot bank under a root entry of its own

/// set_swapper_pgd (one root entry, a PUD table's descriptor): before mark_rodata_ro a
/// direct store with its dsb ishst + isb; after it FIX_PGD mapped (a __set_pte: an emit),
/// the entry stored through the alias (no barrier), FIX_PGD unmapped (a PTE clear and a
/// one-page flush_tlb_kernel_range of the slot), no other barrier.
@Test(arguments: [false, true])
func setSwapperPGD(rodataReadOnly: Bool) throws {
    let pt = try PageTable()
    var flushed: [TLBInvalidation] = []
    pt.tlbObserver = { flushed.append($0) }
    let entry = Descriptor.table(at: 0x8000_0000, pxnTable: true)
    Fixmap().setSwapperPGD(pt, 5, entry, rodataReadOnly: rodataReadOnly)
    #expect(pt.root[5] == entry && pt.counters.pgdWritten == 1)
    if rodataReadOnly {
        #expect(Barriers(pt.counters) == pairs(1) + flushBarriers(pages: 1))
        #expect(pt.counters.pteWritten == 2 && pt.fixmapTable[Fixmap.Slot.pgd.rawValue].isNone)
        #expect(flushed == [.page(va: Fixmap.va(of: .pgd))])
    } else {
        #expect(Barriers(pt.counters) == pairs(1) && pt.counters.pteWritten == 0 && flushed.isEmpty)
    }
}

/// Hot-adds then (v6.18 rules, no leaf check) hot-removes the 1 GiB bank right above
/// `gib` GiB of RAM, block-mapped; the counters of each phase and the table pages.
private func addAndRemove(gib: UInt64) throws -> (add: Counters, remove: Counters, tables: Int, freed: Int, machine: Machine) {
    let m = try Machine(gib: gib)
    let booted = m.pt.allocator.pagesAllocated
    try m.hot.addMemory(m.bank)
    let add = m.pt.counters, tables = m.pt.allocator.pagesAllocated - booted
    #expect(m.pt.translate(m.va(0))?.level == .pud)
    #expect(m.pt.translate(m.layout.vmemmapVA(ofPA: m.bank.start))?.level == .pmd)
    m.pt.counters = Counters()
    #expect(m.hot.removeMemory(m.bank))
    #expect(m.pt.translate(m.va(0)) == nil && m.pt.translate(m.layout.vmemmapVA(ofPA: m.bank.start)) == nil)
    #expect(m.pt.verify(linearOffset: m.layout.linearOffset).isEmpty)
    return (add, m.pt.counters, tables, m.freed, m)
}

@Test func aBankUnderANewLinearRootEntry() throws {
    // 511 GiB of RAM: the bank is PUD entry 511 of the first root entry's table, its
    // memmap the last 16 MiB of the boot memmap's eighth PMD table. As for 4 GiB: FIX_PUD
    // map (emit) and unmap (flush), one set_pud, 8 set_pmd; nothing allocated.
    let below = try addAndRemove(gib: 511)
    #expect(Barriers(below.add) == pairs(2 + 8) + flushBarriers(pages: 1) && below.tables == 0)
    #expect(below.add.entriesWritten == [0, 1, 8, 2])
    // 8 memmap blocks and the 1 GiB block cleared, a page flushed after each; every
    // table still holds boot memory.
    #expect(Barriers(below.remove) == times(9, flushBarriers(pages: 1)) && below.freed == 0)
    #expect(below.remove.entriesWritten == [0, 1, 8, 0] && below.remove.tlbiPageAllLevels == 0)

    // 512 GiB: the bank's VAs start the second root entry, its memmap (at 8 GiB into the
    // vmemmap) a PUD entry of its own. alloc_init_pud: the PUD table zeroed through FIX_PUD
    // (map: emit; dsb ishst), then __p4d_populate = set_swapper_pgd after mark_rodata_ro
    // (FIX_PGD map: emit; the root store; FIX_PGD unmap: flush), the set_pud, FIX_PUD's
    // unmap (flush). The memmap: a zeroed PMD table, set_pud (emit), 8 set_pmd.
    let above = try addAndRemove(gib: 512)
    #expect(Barriers(above.add) == pairs(3 + 1 + 8) + explicit(1) + times(2, flushBarriers(pages: 1)))
    #expect(above.tables == 2 && above.add.entriesWritten == [1, 2, 8, 4])
    let rootIndex = Geometry.fourK.index(above.machine.va(0), .pgd)
    #expect(rootIndex == 1 && above.machine.pt.root[rootIndex].isNone)
    // The removal also frees the memmap's PMD table (pud_clear; __flush_tlb_kernel_pgtable)
    // and the PUD table: free_empty_pud_table's p4d_clear is set_swapper_pgd of zero
    // (FIX_PGD map: emit; store; unmap: flush), then __flush_tlb_kernel_pgtable.
    #expect(Barriers(above.remove) == times(9 + 1, flushBarriers(pages: 1)) + pairs(1) + times(2, pgtableFlush))
    #expect(above.remove.entriesWritten == [1, 2, 8, 2] && above.remove.tlbiPageAllLevels == 2 && above.freed == 2)
}

@Test func aBankUnderNewLinearAndVmemmapRootEntries() throws {
    // 32 TiB of RAM: its memmap (32 TiB / 64) fills the vmemmap's first root entry, so
    // the bank's memmap needs the next one as its VAs do: vmemmap_p4d_populate's zeroed
    // PUD table goes in through set_swapper_pgd (FIX_PGD map: emit; unmap: flush), then
    // a zeroed PMD table (set_pud: emit) and 8 set_pmd. The linear part is 512 GiB's.
    let m = try addAndRemove(gib: 32 << 10)
    #expect(Geometry.fourK.index(m.machine.layout.vmemmapVA(ofPA: m.machine.bank.start), .pgd)
            == Geometry.fourK.index(VmemmapRange.start, .pgd) + 1)
    #expect(Barriers(m.add) == pairs(3 + 1 + 1 + 8) + explicit(1) + times(3, flushBarriers(pages: 1)))
    #expect(m.tables == 3 && m.add.entriesWritten == [2, 2, 8, 6])
    // Removal: 9 leaves cleared and flushed; the memmap's PMD and PUD tables and the
    // linear PUD table freed, two root entries cleared through FIX_PGD.
    #expect(Barriers(m.remove) == times(9 + 2, flushBarriers(pages: 1)) + pairs(2) + times(3, pgtableFlush))
    #expect(m.remove.entriesWritten == [2, 2, 8, 4] && m.remove.tlbiPageAllLevels == 3 && m.freed == 3)
}
