import Testing
import PageTableModel
import LinearMap
@testable import SplitWalkers

/// pgtable_split_lock: W1–W3 take it once per request; range_split_to_ptes relies on
/// its callers. Each walker descends from the root once per request, W1 once per end.
@Test(arguments: WalkerKind.allCases)
func walkerLocksAndWalks(kind: WalkerKind) throws {
    let f = try Fixture()
    let requests = randomRequests(seed: 41, count: 10, in: f.start, f.end,
                                  scales: [G.contPTESize, G.pmdSize, G.contPMDSize])
    let before = f.counters()
    for r in requests { try makeWalker(kind, options: options()).split(f.pt, from: r.start, to: r.end) }
    let d = f.counters().since(before)
    let multiPage = requests.filter { $0.end - $0.start > G.page }.count
    #expect(d.splitLockAcquisitions == (kind == .pagewalk ? 0 : requests.count))
    #expect(d.walks == (kind == .leaf ? requests.count + multiPage : requests.count))
    #expect(d.tlbi == 0)
    f.expectUnchangedTranslation()
}

@Test func factoryMakesEachKind() {
    for kind in WalkerKind.allCases { #expect(makeWalker(kind, options: WalkerOptions()).kind == kind) }
}

/// Every walker keeps every page's translation and leaves a well-formed map, with and
/// without lazy MMU mode, and leaves lazy mode as it found it.
@Test(arguments: WalkerKind.allCases, [true, false])
func walkerKeepsTranslation(kind: WalkerKind, lazy: Bool) throws {
    let f = try Fixture()
    let walker = makeWalker(kind, options: options(lazy: lazy))
    let scales = [G.page, G.contPTESize, G.pmdSize, G.contPMDSize]
    for r in randomRequests(seed: 31, count: 20, in: f.start, f.end, scales: scales) {
        try walker.split(f.pt, from: r.start, to: r.end)
    }
    #expect(firstDifference(f.leaves(), f.reference.leaves(from: f.start, to: f.end).map(LeafKey.init)) != nil)
    #expect(!f.pt.lazyMMU.lazy && !f.pt.lazyMMU.pending)
    f.expectUnchangedTranslation()
}

/// ENOMEM at every allocation of a request: earlier splits stay, the map stays
/// consistent and every table allocated is reachable.
/// The request [GiB 1 + page, GiB 1 + 3 PMDs + page) needs the PUD split once; W1/W2/W3
/// then split the PMD holding each end, W4 every PMD the range touches (four).
@Test(arguments: WalkerKind.allCases, [true, false])
func walkerSurvivesENOMEM(kind: WalkerKind, lazy: Bool) throws {
    let needed = kind == .pagewalk ? 1 + 4 : 1 + 2
    let offset = G.gib + G.page, length = 3 * G.pmdSize
    let walker = makeWalker(kind, options: options(lazy: lazy))
    do {
        let f = try Fixture()
        let tables = f.pt.allocator.pagesAllocated
        try walker.split(f.pt, from: f.va(offset), to: f.va(offset + length))
        #expect(f.pt.allocator.pagesAllocated - tables == needed)
    }
    for succeeding in 0..<needed {
        let f = try Fixture()
        let tables = f.pt.allocator.pagesAllocated
        f.pt.allocator.failure = .after(tables + succeeding)
        #expect(throws: KernelError.enomem) {
            try walker.split(f.pt, from: f.va(offset), to: f.va(offset + length))
        }
        #expect(f.pt.allocator.pagesAllocated - tables == succeeding)
        #expect(f.pt.allocator.pagesLive == reachableTables(f.pt))
        #expect(!f.pt.lazyMMU.lazy && !f.pt.lazyMMU.pending)
        if succeeding > 0 {
            // The PUD split happened first and stays.
            #expect(f.pt.translate(f.va(offset))?.level != .pud)
        }
        f.expectUnchangedTranslation()
    }
}
