import PageTableModel
import SplitWalkers

// An x86-style collapse of the linear map, which no arm64 kernel has (spec §12): modelled on
// cpa_collapse_large_pages / collapse_pmd_page / collapse_pud_page in
// arch/x86/mm/pat/set_memory.c (41d88484c71c, "x86/mm/pat: restore large ROX pages after
// fragmentation"). x86 runs it from cpa_flush under CPA_COLLAPSE (set_memory_rox only) over
// the range just changed; here it runs on the linear aliases vfree's vm_reset_perms has just
// restored, so a fully restored range goes back to the block boot made.
//
// Each rewrite is a live change of the block size without break-before-make: what
// BBML2_NOABORT allows the v6.18 split, in the other direction. With break-before-make every
// collapse would make 2 MiB of the linear map invalid while other CPUs run on it. As on
// x86, the collapses of one call share one flush_tlb_all, and their tables are freed after
// it (no walker may still hold them).

extension Permissions {
    /// Collapses, around each of `addresses` (linear-map VAs), the PMD range whose PTEs are
    /// all valid pages of one attribute set over 2 MiB of contiguous, aligned PAs back to a
    /// PMD block, then its 1 GiB range to a PUD block the same way; where a range does not
    /// collapse, a CONT group (16 PTEs, or 16 PMDs) whose entries allow it gets CONT back, as
    /// map_mem would have set it. Returns the tables freed.
    @discardableResult
    public func collapseLinearMap(around addresses: [UInt64]) -> Int {
        let g = pt.geometry
        var freed: [(TablePage, Level)] = []
        let byPMD = Dictionary(grouping: addresses) { alignDown($0, g.size(.pmd)) }
        for pmdStart in byPMD.keys.sorted() {
            pt.beginWalk()
            let pgd = pt.read(pt.root, g.index(pmdStart, .pgd))
            guard pgd.isTable else { continue }
            let puds = TablePage(pgd), pudIndex = g.index(pmdStart, .pud)
            let pud = pt.read(puds, pudIndex)
            guard pud.isTable else { continue }
            let pmds = TablePage(pud), pmdIndex = g.index(pmdStart, .pmd)
            let pmd = pt.read(pmds, pmdIndex)
            guard pmd.isValid && pmd.isTable else { continue }
            let ptes = TablePage(pmd)
            guard let block = uniformRun(ptes, from: 0, count: g.entriesPerTable, step: g.pageSize, align: g.size(.pmd)) else {
                let groups = Set(byPMD[pmdStart]!.map { g.index($0, .pte) & ~(g.contPTEs - 1) })
                for start in groups.sorted() { recont(.pte, ptes, start, step: g.pageSize) }
                continue
            }
            pt.setPMD(pmds, pmdIndex, block.asBlock)
            freed.append((ptes, .pte))
            if let huge = uniformRun(pmds, from: 0, count: g.entriesPerTable, step: g.size(.pmd), align: g.size(.pud), blocks: true) {
                pt.setPUD(puds, pudIndex, huge)
                freed.append((pmds, .pmd))
            } else {
                recont(.pmd, pmds, pmdIndex & ~(g.contPMDs - 1), step: g.size(.pmd))
            }
        }
        guard !freed.isEmpty else { return 0 }
        flush.flushAll(pt)
        for (table, level) in freed { pt.allocator.free(table, level, .kernel) }
        return freed.count
    }

    /// The first of `count` entries from `from` when they are valid leaves (pages, or blocks
    /// when `blocks`) sharing every attribute but CONT, mapping PAs that advance by `step`
    /// from one aligned to `align`: that entry with CONT cleared. nil otherwise.
    private func uniformRun(_ table: TablePage, from: Int, count: Int, step: UInt64, align: UInt64,
                            blocks: Bool = false) -> Descriptor? {
        let first = pt.read(table, from)
        let isLeaf = { (d: Descriptor) in d.isValid && (blocks ? d.isBlock : d.isTable) }  // a page has the table type bits
        guard isLeaf(first), isAligned(first.outputAddress, align) else { return nil }
        let attributes = first.clearing(Descriptor.cont).attributes
        for k in 1..<count {
            let e = pt.read(table, from + k)
            guard isLeaf(e), e.clearing(Descriptor.cont).attributes == attributes,
                  e.outputAddress == first.outputAddress + UInt64(k) * step else { return nil }
        }
        return first.clearing(Descriptor.cont)
    }

    /// CONT back on the group from `start` when its entries allow it and lack it.
    private func recont(_ level: Level, _ table: TablePage, _ start: Int, step: UInt64) {
        let n = pt.geometry.contCount(level)
        guard !pt.read(table, start).isCont,
              let first = uniformRun(table, from: start, count: n, step: step, align: step * UInt64(n), blocks: level != .pte)
        else { return }
        for k in 0..<n {
            pt.set(level, table, start + k, first.setting(Descriptor.cont).with(outputAddress: first.outputAddress + UInt64(k) * step))
        }
    }
}
