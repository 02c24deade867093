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
    for leaf in f.pt.leaves(from: start, to: end) { #expect(leaf.level == .pte && !leaf.descriptor.isCont) }
    f.expectUnchangedTranslation()
}

/// Every leaf matches `splitToPTEs` after seeded ranges, straddlers split whole.
@Test(arguments: [21, 22, 23] as [UInt64])
func pagewalkMapsRangesToPTEs(seed: UInt64) throws {
    let f = try Fixture()
    var expected = Unit.of(f.pt, from: f.start, to: f.end)
    let requests = randomRequests(seed: seed, count: 12, in: f.start, f.end,
                                  scales: [G.page, G.contPTESize, G.pmdSize, G.contPMDSize])
    for r in requests {
        try PageWalkWalker(options: options(allocation: .atomic)).split(f.pt, from: r.start, to: r.end)
        expected = splitToPTEs(expected, from: r.start, to: r.end)
    }
    let actual = f.leaves(), want = leaves(of: expected)
    #expect(actual.count == want.count)
    #expect(zip(actual, want).first { $0 != $1 }.map { "\($0) vs expected \($1)" } == nil)
    #expect(f.pt.allocator.allocated(.atomic) > 0)
    f.expectUnchangedTranslation()
}

/// A range starting inside a CONT PMD group and a PUD block: the group loses CONT whole,
/// the block becomes plain 2 MiB blocks, and only what overlaps the range becomes pages.
@Test func pagewalkSplitsStraddlersWhole() throws {
    let f = try Fixture()
    let start = f.va(G.gib + G.contPMDSize - G.page), end = f.va(G.gib + G.contPMDSize + G.page)
    try PageWalkWalker(options: options()).split(f.pt, from: start, to: end)
    let pmdBefore = try #require(f.pt.translate(f.va(G.gib)))
    #expect(pmdBefore.level == .pmd && !pmdBefore.cont)
    let inRange = f.pt.leaves(from: start, to: end).map { $0.level }
    #expect(inRange == [.pte, .pte])
    let after = try #require(f.pt.translate(f.va(G.gib + G.contPMDSize + G.pmdSize)))
    #expect(after.level == .pmd && !after.cont)
    f.expectUnchangedTranslation()
}
