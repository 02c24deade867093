import LinearMap
import PageTableModel
import SplitWalkers

// arm64 memory hotplug (arch/arm64/mm/mmu.c, v6.18 as in linux-next 15d6aa045268, and v7.1
// with 95a58852b0e5 and 48478b9f7913): arch_add_memory and the vmemmap_populate that
// __add_pages runs per section; the memory notifier's leaf check when a memory block goes
// offline (prevent_memory_remove_notifier); arch_remove_memory's teardown — vmemmap_free
// per section, then __remove_pgd_mapping — through unmap_hotplug_range and
// free_empty_tables. The vmemmap lives in the same tables as the linear map, under root
// entries of its own (`VmemmapRange`). Everything after boot runs with rodata read-only
// (mark_rodata_ro), so a root entry the add creates or the remove clears goes through
// set_swapper_pgd's FIX_PGD alias (`Fixmap.setSwapperPGD`).

extension MachineLayout {
    /// pfn_to_page(PA >> 12) as an address: the struct page of `pa`.
    public func vmemmapVA(ofPA pa: UInt64) -> UInt64 {
        VmemmapRange.start &+ ((pa &- memstart) >> 12) &* VmemmapRange.structPageBytes
    }
}

/// Hot-adds, churns and hot-removes memory banks in one map, on one kernel.
public struct MemoryHotplug {
    /// memory_block_size_bytes(): one section, SECTION_SIZE_BITS 27 with 4K pages. The
    /// memory core offlines (and the notifier checks) one block at a time.
    public static let memoryBlockBytes: UInt64 = 1 << 27

    public let pt: PageTable
    /// The machine as booted: memstart, and where the boot memmap's pages come from.
    public let layout: MachineLayout
    public let context: KernelContext
    private var g: Geometry { pt.geometry }
    private var flush: TLBFlush { TLBFlush(context) }
    private var fixmap: Fixmap { Fixmap(flush: flush) }

    public init(pt: PageTable, layout: MachineLayout, context: KernelContext) {
        self.pt = pt
        self.layout = layout
        self.context = context
    }

    /// The bank hot-added right above `layout`'s RAM, memory-block aligned, `bytes` long (a
    /// whole number of memory blocks). Refused when it leaves the linear map.
    public static func hotBank(above layout: MachineLayout, bytes: UInt64) throws(LayoutError) -> PhysRange {
        let top = layout.banks[layout.banks.count - 1]
        let bank = PhysRange(start: alignUp(top.end, memoryBlockBytes), size: bytes)
        guard bytes > 0, bytes % memoryBlockBytes == 0 else {
            throw LayoutError("the hot bank must be a whole number of 128M memory blocks")
        }
        guard let end = bank.checkedEnd, end - layout.memstart <= LinearMapRange.span else {
            throw LayoutError("a hot bank of \(ByteSize.format(bytes)) at \(bank) leaves the 128T linear map")
        }
        return bank
    }

    // MARK: The vmemmap (mm/sparse-vmemmap.c)

    /// sparse_init's vmemmap_populate for every present section of the boot banks, while
    /// rodata is still writable.
    public func populateBootMemmap() throws(KernelError) {
        var done = Set<UInt64>()
        for bank in layout.banks {
            for section in stride(from: alignDown(bank.start, Self.memoryBlockBytes), to: bank.end,
                                  by: Int(Self.memoryBlockBytes)) where done.insert(section).inserted {
                try populateMemmap(ofSection: section, rodataReadOnly: false)
            }
        }
    }

    /// vmemmap_populate over one section's struct pages: with 4K pages and a whole section,
    /// vmemmap_populate_hugepages — a 2 MiB block per PMD (vmemmap_set_pmd: PROT_SECT_NORMAL
    /// through set_pmd), missing tables zeroed by the allocator and populated.
    func populateMemmap(ofSection section: UInt64, rodataReadOnly: Bool) throws(KernelError) {
        let start = layout.vmemmapVA(ofPA: section)
        let end = layout.vmemmapVA(ofPA: section + Self.memoryBlockBytes)
        let prot = Prot.kernel(tagged: false, nG: context.ngMappings).asBlock
        var addr = start
        while addr < end {
            pt.beginWalk()
            guard let puds = tableBelow(.pgd, pt.root, addr, rodataReadOnly),
                  let pmds = tableBelow(.pud, puds, addr, rodataReadOnly) else {
                throw .enomem
            }
            let i = g.index(addr, .pmd)
            if pt.read(pmds, i).isNone { pt.setPMD(pmds, i, prot.with(outputAddress: memmapBlockPA(addr))) }
            addr = entryEnd(addr, end, g.size(.pmd))
        }
    }

    /// vmemmap_p4d/pud_populate: the table under the entry for `va`, allocated zeroed (no
    /// barrier) and populated when absent — a root entry by p4d_populate(_kernel), i.e.
    /// set_p4d; nil on ENOMEM.
    private func tableBelow(_ level: Level, _ table: TablePage, _ va: UInt64, _ rodataReadOnly: Bool) -> TablePage? {
        let i = g.index(va, level)
        let entry = pt.read(table, i)
        if entry.isValid { return TablePage(entry) }
        guard let child = pt.allocateZeroedTable(level.next, .kernel) else { return nil }
        if level == .pgd {
            fixmap.setSwapperPGD(pt, i, pt.tableEntry(child, pxnTable: false), rodataReadOnly: rodataReadOnly)
        } else {
            pt.populate(level, table, i, child: child, pxnTable: false)
        }
        return child
    }

    /// The 2 MiB of RAM backing the vmemmap block at `va`: taken downwards from the top of
    /// the highest boot bank, as memblock and the page allocator hand out high memory
    /// first. Descriptor bits only; no count depends on it.
    private func memmapBlockPA(_ va: UInt64) -> UInt64 {
        let top = alignDown(layout.banks[layout.banks.count - 1].end, g.size(.pmd))
        return top &- g.size(.pmd) &- alignDown(va &- VmemmapRange.start, g.size(.pmd))
    }

    // MARK: Hot-add

    /// arch_add_memory: __create_pgd_mapping of the bank's linear map with
    /// pgprot_mhp(PAGE_KERNEL) (= pgprot_tagged) and GFP_PGTABLE_KERNEL tables, blocks
    /// unless force_pte_mapping(), rodata read-only; then __add_pages, which populates each
    /// section's memmap. ENOMEM leaves what was mapped (the error path's teardown is not
    /// modelled).
    public func addMemory(_ bank: PhysRange) throws(KernelError) {
        let flags: MapFlags = context.forcePTEMapping ? [.noExec, .noBlock, .noCont] : [.noExec]
        try CreateMapping(pt, fixmap: fixmap, rodataReadOnly: true).map(
            virt: layout.va(ofPA: bank.start), phys: bank.start, size: bank.size,
            prot: Prot.kernel(tagged: true, nG: context.ngMappings), flags: flags)
        for section in stride(from: bank.start, to: bank.end, by: Int(Self.memoryBlockBytes)) {
            try populateMemmap(ofSection: section, rodataReadOnly: true)
        }
    }

    // MARK: Hot-remove

    /// offline_and_remove_memory: each memory block of `range` offlined in turn, where the
    /// arm64 notifier may refuse one (NOTIFY_BAD: the blocks go back online and nothing is
    /// removed); then arch_remove_memory. False when refused.
    public func removeMemory(_ range: PhysRange) -> Bool {
        for block in stride(from: range.start, to: range.end, by: Int(Self.memoryBlockBytes)) {
            if offlineRefused(PhysRange(start: block, size: Self.memoryBlockBytes)) { return false }
        }
        archRemoveMemory(range)
        return true
    }

    /// prevent_memory_remove_notifier at MEM_GOING_OFFLINE (95a58852b0e5; v6.18 has no
    /// check for hot-added memory). As merged, its section loop leaves `pfn` at the
    /// block's end, so can_unmap_without_split examines [end, end + size): the range after
    /// the block, not the block.
    public func offlineRefused(_ block: PhysRange) -> Bool {
        guard context.hotplug == .v7_1 else { return false }
        let checked = PhysRange(start: block.end, size: block.size)
        return !canUnmapWithoutSplit(checked)
    }

    /// can_unmap_without_split: neither edge of the range falls inside a leaf, in the
    /// linear map ("splits a leaf entry in linear map") or in the vmemmap.
    public func canUnmapWithoutSplit(_ range: PhysRange) -> Bool {
        let edges = [layout.va(ofPA: range.start), layout.va(ofPA: range.end),
                     layout.vmemmapVA(ofPA: range.start), layout.vmemmapVA(ofPA: range.end)]
        return !edges.contains(where: splitsLeaf)
    }

    /// addr_splits_kernel_leaf: top-down, "aligned to this level's size → no split" before
    /// each read; an absent entry ends the walk; a leaf (or a CONT entry at a CONT level)
    /// the address is not aligned to splits.
    func splitsLeaf(_ addr: UInt64) -> Bool {
        if isAligned(addr, g.size(.pgd)) { return false }
        pt.beginWalk()
        let pgd = pt.read(pt.root, g.index(addr, .pgd))
        if !pgd.isValid || isAligned(addr, g.size(.pud)) { return false }
        let pud = pt.read(TablePage(pgd), g.index(addr, .pud))
        if !pud.isValid { return false }
        if !pud.isTable { return true }
        if isAligned(addr, g.contSize(.pmd)) { return false }
        let pmd = pt.read(TablePage(pud), g.index(addr, .pmd))
        if !pmd.isValid { return false }
        if pmd.isCont { return true }
        if isAligned(addr, g.size(.pmd)) { return false }
        if !pmd.isTable { return true }
        if isAligned(addr, g.contSize(.pte)) { return false }
        let pte = pt.read(TablePage(pmd), g.index(addr, .pte))
        if !pte.isValid { return false }
        return pte.isCont || !isAligned(addr, g.pageSize)
    }

    /// arch_remove_memory: __remove_pages, whose vmemmap_free runs per section (the memmap
    /// blocks' pages are freed: free_mapped), then __remove_pgd_mapping of the linear map.
    func archRemoveMemory(_ range: PhysRange) {
        for section in stride(from: range.start, to: range.end, by: Int(Self.memoryBlockBytes)) {
            let start = layout.vmemmapVA(ofPA: section)
            let end = layout.vmemmapVA(ofPA: section + Self.memoryBlockBytes)
            unmapHotplugRange(from: start, to: end, freeMapped: true)
            freeEmptyTables(from: start, to: end)
        }
        let start = layout.va(ofPA: range.start), end = layout.va(ofPA: range.end)
        unmapHotplugRange(from: start, to: end, freeMapped: false)
        freeEmptyTables(from: start, to: end)
    }

    /// unmap_hotplug_range: every present leaf in [start, end) cleared whole (no barrier:
    /// a clear is no valid entry). v6.18 flushes the first page of each leaf right after
    /// clearing it; v7.1 (48478b9f7913) flushes each vmemmap leaf over its whole size and
    /// the linear map once, over the range, at the end.
    func unmapHotplugRange(from start: UInt64, to end: UInt64, freeMapped: Bool) {
        pt.beginWalk()
        unmap(.pgd, pt.root, start, end, freeMapped)
        if context.hotplug == .v7_1 && !freeMapped { flush.flushKernelRange(pt, from: start, to: end) }
    }

    private func unmap(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64, _ freeMapped: Bool) {
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, g.size(level))
            let i = g.index(addr, level)
            let entry = pt.read(table, i)
            if entry.isNone {
                // pXd_none: nothing mapped here.
            } else if level != .pte && entry.isTable {
                unmap(level.next, TablePage(entry), addr, next, freeMapped)
            } else {
                pt.set(level, table, i, .zero)
                switch (context.hotplug, freeMapped) {
                case (.v6_18, _): flush.flushKernelRange(pt, from: addr, to: addr + g.pageSize)
                case (.v7_1, true): flush.flushKernelRange(pt, from: addr, to: addr + g.size(level))
                case (.v7_1, false): break
                }
            }
            addr = next
        }
    }

    /// free_empty_tables: bottom-up, every table in [start, end) whose entries are all
    /// none is unhooked (a clear of its parent entry), flushed with
    /// __flush_tlb_kernel_pgtable, and freed — a PUD table too (free_empty_pud_table:
    /// p4d_clear, which is set_swapper_pgd of zero); never the root (free_empty_p4d_table
    /// stops before its check without 5 levels). pgtable_range_aligned always holds here:
    /// the floor and ceiling (the region's bounds) are aligned to a root entry.
    func freeEmptyTables(from start: UInt64, to end: UInt64) {
        pt.beginWalk()
        freeEmpty(.pgd, pt.root, start, end)
    }

    /// free_empty_p4d/pud/pmd/pte_table's loop over `table` (of `level`): each table below
    /// it in [start, end) is emptied first, then freed if empty.
    private func freeEmpty(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64) {
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, g.size(level))
            let i = g.index(addr, level)
            let entry = pt.read(table, i)
            // Leaves were cleared by the unmap: what is left above the PTEs is a table.
            if level != .pte && entry.isValid {
                let child = TablePage(entry)
                freeEmpty(level.next, child, addr, next)
                // The check stops at the first entry in use.
                if (0..<g.entriesPerTable).allSatisfy({ pt.read(child, $0).isNone }) {
                    if level == .pgd {
                        fixmap.setSwapperPGD(pt, i, .zero, rodataReadOnly: true)
                    } else {
                        pt.set(level, table, i, .zero)
                    }
                    flush.flushKernelPgtable(pt, at: addr)
                    pt.allocator.free(child, level.next, .kernel)
                }
            }
            addr = next
        }
    }

    // MARK: Churn

    /// The pages backing `count` vmalloc areas of `size` pages each, drawn as distinct
    /// order-0 pages of `bank` (what vmalloc's bulk allocation hands out once the page
    /// allocator serves from the hot-added zone), as linear-map VAs.
    public func backings(in bank: PhysRange, count: Int, size: RequestSize, seed: UInt64) -> [[UInt64]] {
        var rng = SplitMix64(seed: seed)
        let pages = bank.size >> UInt64(g.pageShift)
        return (0..<count).map { _ in
            let n = min(size.draw(&rng), Int(pages))
            return distinctPages(n, from: { layout.va(ofPA: bank.start + rng.below(pages) << UInt64(g.pageShift)) })
        }
    }
}
