import Testing
import PageTableModel
import LinearMap
@testable import SplitWalkers

/// W1 on one page in the middle of a 1 GiB block (spec §7): split_pud(to_cont) writes
/// 512 PMDs and populates the PUD, split_contpmd rewrites 16 PMDs, split_pmd(to_cont)
/// writes 512 PTEs and populates the PMD, split_contpte rewrites 16 PTEs. Each of those
/// normal writes queues a barrier pair; split_pud and split_pmd add one explicit dsb ishst.
enum OnePageInGiB {
    static let queuedWrites = (G.entries + 1) + G.contPMDs + (G.entries + 1) + G.contPTEs
    static let explicitDsb = 2
    static let tables = 2
    /// A page in GiB 2, 512 MiB + one page in: only 4 KiB aligned, so it is the less
    /// aligned end of the request and needs every level split.
    static let offset = 2 * G.gib + 512 << 20 + G.page
}

@Test(arguments: [true, false])
func leafOnePageInGiBBlock(lazy: Bool) throws {
    let f = try Fixture()
    let before = f.counters()
    let tablesBefore = f.pt.allocator.pagesAllocated
    try LeafWalker(options: options(lazy: lazy)).split(f.pt, from: f.va(OnePageInGiB.offset),
                                                       to: f.va(OnePageInGiB.offset + G.page))
    let d = f.counters().since(before)
    #expect(f.pt.allocator.pagesAllocated - tablesBefore == OnePageInGiB.tables)
    #expect(f.pt.allocator.allocated(.kernel) == f.pt.allocator.pagesAllocated)
    if lazy {
        // Everything queued is flushed as one pair when lazy mode is left.
        #expect(d.dsbIshst == OnePageInGiB.explicitDsb + 1)
        #expect(d.isb == 1)
    } else {
        #expect(d.dsbIshst == OnePageInGiB.queuedWrites + OnePageInGiB.explicitDsb)
        #expect(d.isb == OnePageInGiB.queuedWrites)
    }
    #expect(d.tlbi == 0)
    #expect(d.walks == 1)
    #expect(d.splitLockAcquisitions == 1)
    #expect(f.pt.lazyMMU.lazy == false && f.pt.lazyMMU.pending == false)
    let t = try #require(f.pt.translate(f.va(OnePageInGiB.offset)))
    #expect(t.level == .pte && !t.cont)
    f.expectUnchangedTranslation()
}
