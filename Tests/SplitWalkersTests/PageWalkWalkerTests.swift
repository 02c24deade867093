import Testing
import PageTableModel
import LinearMap
@testable import SplitWalkers

/// W4 on one 1 GiB block: split_pud(to_cont=false) writes 512 PMDs and populates the
/// PUD; each of the 512 PMD blocks is then split_pmd(to_cont=false): 512 PTEs and the
/// populate. Every one of those normal writes queues a pair; each split adds one
/// explicit dsb ishst.
@Test(arguments: [true, false])
func pagewalkOneGiBBlockBarriers(lazy: Bool) throws {
    let queuedWrites = (G.entries + 1) + G.entries * (G.entries + 1)
    let splits = 1 + G.entries
    let f = try Fixture()
    let before = f.counters()
    let tables = f.pt.allocator.pagesAllocated
    let start = f.va(2 * G.gib), end = f.va(3 * G.gib)
    try PageWalkWalker(options: options(lazy: lazy)).split(f.pt, from: start, to: end)
    let d = f.counters().since(before)
    #expect(f.pt.allocator.pagesAllocated - tables == splits)
    if lazy {
        #expect(d.dsbIshst == splits + 1)
        #expect(d.isb == 1)
    } else {
        #expect(d.dsbIshst == queuedWrites + splits)
        #expect(d.isb == queuedWrites)
    }
    #expect(d.tlbi == 0)
    #expect(d.walks == 1)
    // range_split_to_ptes takes no lock: its callers hold it.
    #expect(d.splitLockAcquisitions == 0)
    #expect(f.pt.leaves(from: start, to: end).first { $0.level != .pte || $0.descriptor.isCont } == nil)
    f.expectUnchangedTranslation()
}

/// Every leaf matches `splitToPTEs` after seeded ranges, straddlers split whole.
@Test(arguments: [21, 22, 23] as [UInt64])
func pagewalkMapsRangesToPTEs(seed: UInt64) throws {
    let f = try Fixture()
    var expected = Unit.of(f.pt, from: f.start, to: f.end)
    let kernelTables = f.pt.allocator.allocated(.kernel)
    let requests = randomRequests(seed: seed, count: 12, in: f.start, f.end,
                                  scales: [G.page, G.contPTESize, G.pmdSize, G.contPMDSize])
    for r in requests {
        try PageWalkWalker(options: options(allocation: .atomic)).split(f.pt, from: r.start, to: r.end)
        expected = splitToPTEs(expected, from: r.start, to: r.end)
    }
    #expect(firstDifference(f.leaves(), leaves(of: expected)) == nil)
    #expect(f.pt.allocator.allocated(.atomic) > 0)
    #expect(f.pt.allocator.allocated(.kernel) == kernelTables)
    f.expectUnchangedTranslation()
}

/// Straddled entries are split whole, and only what overlaps the range becomes pages:
/// a PUD block becomes plain 2 MiB blocks, a CONT PMD group (GiB 0 above 64 MiB) and a
/// CONT PTE group (just past the kernel image) lose CONT on every member.
@Test func pagewalkSplitsStraddlersWhole() throws {
    let f = try Fixture()
    let walker = PageWalkWalker(options: options())
    func at(_ va: UInt64) throws -> (Level, Bool) {
        let t = try #require(f.pt.translate(va))
        return (t.level, t.cont)
    }
    // Two PUD blocks, one page of each.
    let pud = f.va(2 * G.gib)
    try walker.split(f.pt, from: pud - G.page, to: pud + G.page)
    #expect(try at(pud - G.pudSize) == (.pmd, false))
    #expect(try at(pud - G.page) == (.pte, false) && at(pud) == (.pte, false))
    #expect(try at(pud + G.pmdSize) == (.pmd, false))
    // Two CONT PMD groups, one page of each; the group after them keeps CONT.
    let group = f.va(3 * G.contPMDSize)
    #expect(try at(group) == (.pmd, true))
    try walker.split(f.pt, from: group - G.page, to: group + G.page)
    #expect(try at(group - G.contPMDSize) == (.pmd, false))
    #expect(try at(group - G.page) == (.pte, false) && at(group) == (.pte, false))
    #expect(try at(group + G.pmdSize) == (.pmd, false))
    #expect(try at(group + G.contPMDSize) == (.pmd, true))
    // The last page of a CONT PTE group: the whole group loses CONT, the next keeps it.
    let ptes = f.layout.va(ofPA: f.layout.kernelImage.end)
    #expect(try at(ptes) == (.pte, true))
    try walker.split(f.pt, from: ptes + G.contPTESize - G.page, to: ptes + G.contPTESize)
    #expect(try at(ptes) == (.pte, false))
    #expect(try at(ptes + G.contPTESize) == (.pte, true))
    f.expectUnchangedTranslation()
}
