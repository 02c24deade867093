import Testing
import PageTableModel
import LinearMap
import SplitWalkers

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

@Test func leafWalksTwicePerRequestOncePerPage() throws {
    let f = try Fixture()
    let requests: [(UInt64, UInt64, walks: Int)] = [
        (f.va(G.gib + G.page), f.va(G.gib + 3 * G.page), 2),
        (f.va(2 * G.gib + G.pmdSize), f.va(2 * G.gib + G.pmdSize + G.page), 1),
        (f.va(3 * G.gib + G.page), f.va(3 * G.gib + 2 * G.page), 1),
        (f.va(G.contPMDSize), f.va(3 * G.gib + G.contPTESize), 2),
    ]
    for (start, end, walks) in requests {
        let before = f.counters()
        try LeafWalker(options: options()).split(f.pt, from: start, to: end)
        let d = f.counters().since(before)
        #expect(d.walks == walks)
        #expect(d.splitLockAcquisitions == 1)
        #expect(d.sleepingLockInAtomic == 0)
    }
    f.expectUnchangedTranslation()
}

/// The early exits of ce2b3a50ad92: nothing is read, written or locked.
/// A map with an early kfence pool, W1's options for `reason` (one of the early exits of
/// ce2b3a50ad92) and the start of a 3-page request that meets it.
private func earlyExitCase(_ reason: String, beforeCE2B3A50AD92: Bool) throws -> (Fixture, WalkerOptions, UInt64) {
    let f = try Fixture(earlyKfence: true)
    let pool = try #require(f.layout.kfencePool)
    var o = options()
    o.context.leafSplit = beforeCE2B3A50AD92 ? .beforeCE2B3A50AD92 : .v6_18
    o.context.kfencePool = f.layout.va(ofPA: pool.start)..<f.layout.va(ofPA: pool.end)
    var start = f.va(2 * G.gib + G.page)
    switch reason {
    case "forcePTE": o.context.forcePTEMapping = true
    case "kfence": start = o.context.kfencePool!.lowerBound + G.page
    default: o.context.bbml2 = false
    }
    return (f, o, start)
}

@Test(arguments: ["forcePTE", "kfence", "noBBML2"])
func leafEarlyExitDoesNothing(_ reason: String) throws {
    let (f, o, start) = try earlyExitCase(reason, beforeCE2B3A50AD92: false)
    let before = f.counters()
    let tables = f.pt.allocator.pagesAllocated
    try LeafWalker(options: o).split(f.pt, from: start, to: start + 3 * G.page)
    #expect(f.counters().since(before) == Counters())
    #expect(f.pt.allocator.pagesAllocated == tables)
    #expect(firstDifference(f.leaves(), Unit.of(f.reference, from: f.start, to: f.end).flatMap(\.leaves)) == nil)
}

/// Before ce2b3a50ad92 only the BBML2 check returned early: force_pte_mapping() and the
/// kfence pool still took the mutex and walked.
@Test(arguments: ["forcePTE", "kfence", "noBBML2"])
func leafBeforeCE2B3A50AD92(_ reason: String) throws {
    let (f, o, start) = try earlyExitCase(reason, beforeCE2B3A50AD92: true)
    let before = f.counters()
    try LeafWalker(options: o).split(f.pt, from: start, to: start + 3 * G.page)
    let d = f.counters().since(before)
    let runs = reason != "noBBML2"
    #expect(d.splitLockAcquisitions == (runs ? 1 : 0))
    #expect(d.walks == (runs ? 2 : 0))
    f.expectUnchangedTranslation()
}

/// Under debug_pagealloc the old code reached the sleeping mutex from softirq context.
@Test func leafBeforeCE2B3A50AD92SleepsInAtomic() throws {
    let f = try Fixture()
    var o = options()
    o.context.leafSplit = .beforeCE2B3A50AD92
    o.context.forcePTEMapping = true
    let start = f.va(2 * G.gib + G.page)
    let before = f.counters()
    try f.pt.inSoftirq { try LeafWalker(options: o).split(f.pt, from: start, to: start + G.page) }
    #expect(f.counters().since(before).sleepingLockInAtomic == 1)
    o.context.leafSplit = .v6_18
    try f.pt.inSoftirq { try LeafWalker(options: o).split(f.pt, from: start, to: start + G.page) }
    #expect(f.counters().since(before).sleepingLockInAtomic == 1)
}

/// (start, end) offsets off page alignment.
let unalignedOffsets: [(UInt64, UInt64)] = [(G.page / 2, 0), (0, G.page / 2), (1, 3 * G.page / 2)]

@Test(arguments: unalignedOffsets)
func leafRejectsUnalignedRequests(startOffset: UInt64, endOffset: UInt64) throws {
    let f = try Fixture()
    let start = f.va(2 * G.gib + G.page) + startOffset
    let before = f.counters()
    #expect(throws: KernelError.einval) {
        try LeafWalker(options: options()).split(f.pt, from: start, to: start + 2 * G.page + endOffset)
    }
    #expect(f.counters().since(before) == Counters())
}

/// For seeded requests, every leaf matches the minimal-map rule of `splitAtBoundaries`.
@Test(arguments: [1, 2, 3] as [UInt64])
func leafProducesMinimalMap(seed: UInt64) throws {
    let f = try Fixture()
    let original = Unit.of(f.pt, from: f.start, to: f.end)
    let requests = randomRequests(seed: seed, count: 40, in: f.start, f.end)
    let walker = LeafWalker(options: options())
    for r in requests { try walker.split(f.pt, from: r.start, to: r.end) }
    let boundaries = requests.flatMap { [$0.start, $0.end] }
    let expected = leaves(of: splitAtBoundaries(original, boundaries))
    #expect(firstDifference(f.leaves(), expected) == nil)
    f.expectUnchangedTranslation()
}

/// W1 inside another task's lazy section (counted nesting, as debug_pagealloc nests it)
/// sleeps legitimately: its mutex and its two GFP_PGTABLE_KERNEL tables count nothing. The
/// same split from softirq is the BUG: the mutex and both allocations count.
@Test func leafSleepsInALazySectionOnlyInTaskContext() throws {
    for inSoftirq in [false, true] {
        let f = try Fixture()
        f.pt.lazyMMU.policy = .counted
        let start = f.va(OnePageInGiB.offset)
        let before = f.counters()
        let split = { try LeafWalker(options: options()).split(f.pt, from: start, to: start + G.page) }
        try f.pt.inLazyMMU(true) { () throws in
            if inSoftirq { try f.pt.inSoftirq(split) } else { try split() }
        }
        let d = f.counters().since(before)
        #expect(d.splitLockAcquisitions == 1)
        #expect(d.sleepingLockInAtomic == (inSoftirq ? 1 : 0))
        #expect(d.sleepingAllocInAtomic == (inSoftirq ? OnePageInGiB.tables : 0))
        f.expectUnchangedTranslation()
    }
}
