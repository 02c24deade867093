import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers
import Testing

/// The x86-style collapse (41d88484c71c's collapse_pmd_page / collapse_pud_page) on the
/// linear aliases vfree restores.
@Suite struct LinearMapCollapseTests {
    private func setUp() throws -> (PageTable, Permissions, LeafHistogram) {
        let layout = try singleLayout()
        let pt = try buildMap(layout)
        let c = context { $0.bbml2 = true; $0.systemBBML2 = true; $0.rodataFull = true }
        return (pt, Permissions(pt: pt, context: c, vmalloc: VmallocSpace(linearOffset: layout.linearOffset)), pt.leafHistogram())
    }

    /// A linear VA in the third GiB, which boot maps with one PUD block.
    private let page = pageOffset + 2 * GiB + 4 * MiB + 5 * 4 * KiB

    @Test func aRestoredPageGoesBackToThePUDBlock() throws {
        let (pt, perms, boot) = try setUp()
        #expect(boot.pud == 3)
        let area = try perms.vmalloc(backing: [page])
        try perms.setMemoryRO(area.addr, pages: 1)
        try perms.vfree(area.addr)
        #expect(pt.leafHistogram().pud == 2)  // split to PMDs, then PTEs: restored, never merged
        let (start, freed) = (pt.counters, pt.allocator.pagesFreed)
        #expect(perms.collapseLinearMap(around: [page]) == 2)
        #expect(pt.leafHistogram() == boot)
        #expect(pt.allocator.pagesFreed - freed == 2)
        // set_pmd and set_pud (dsb ishst + isb each, no lazy section), then one flush_tlb_all.
        #expect(Barriers(pt.counters.since(start)) == Barriers(dsbIshst: 3, isb: 3, dsbIsh: 1, tlbiAll: 1))
    }

    @Test func aRangeWithAChangedPageKeepsItsTableButGetsCONTBack() throws {
        let (pt, perms, boot) = try setUp()
        let other = page + 64 * KiB  // the next CONT group of the same 2 MiB
        let a = try perms.vmalloc(backing: [page]), b = try perms.vmalloc(backing: [other])
        try perms.setMemoryRO(a.addr, pages: 1)
        try perms.setMemoryRO(b.addr, pages: 1)
        try perms.vfree(a.addr)
        let before = pt.leafHistogram()
        let start = pt.counters
        #expect(perms.collapseLinearMap(around: [page]) == 0)
        // 16 PTEs rewritten with CONT, one barrier pair each, no flush: nothing was freed.
        #expect(pt.leafHistogram().pteCont == before.pteCont + 16 && pt.leafHistogram().pte == before.pte - 16)
        #expect(Barriers(pt.counters.since(start)) == Barriers(dsbIshst: 16, isb: 16))
        try perms.vfree(b.addr)
        #expect(perms.collapseLinearMap(around: [other]) == 2)
        #expect(pt.leafHistogram() == boot)
    }
}
