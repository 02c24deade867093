import Testing
import PageTableModel
import LinearMap
import SplitWalkers
import KernelCallers

/// Three read-only changes of linear ranges (__change_memory_common, what set_memory_ro's
/// rodata_full alias loop runs per page) on a 4 GiB block map (GiB 0 is a PMD table because of the
/// kernel image; GiBs 1–3 are PUD blocks), W1 in lazy mode, no FEAT_TLBIRANGE.
private struct ROCase {
    var start: UInt64, pages: Int, expected: Barriers, tables: Int
}

private let roCases: [ROCase] = [
    // One page inside GiB 2: end has fewer trailing zeros, so W1 splits there: split_pud
    // and split_pmd (2 tables, 2 explicit dsb ishst) plus the CONT splits, all queued:
    // one pair at W1's leave. The rewrite queues once: one pair. Then a 1-page flush.
    ROCase(start: pageOffset + 2 * GiB + 0x123_4000, pages: 1,
           expected: explicit(2) + pairs(1) + pairs(1) + flushBarriers(pages: 1), tables: 2),
    // A 2 MiB block 64 MiB into GiB 3: the start is 32 MiB aligned (no split there); at the
    // end split_pud (1 table) and split_contpmd. The rewrite is one set_pmd. 512 pages →
    // flush_tlb_all.
    ROCase(start: pageOffset + 3 * GiB + 64 * MiB, pages: 512,
           expected: explicit(1) + pairs(1) + pairs(1) + flushBarriers(pages: 512), tables: 1),
    // 3 pages in the CONT PTEs after the kernel image (PTE table over [0x2110000, 0x2200000)):
    // W1 only clears CONT on one 16-entry group (queued, one pair); 3 PTE rewrites, one pair.
    ROCase(start: pageOffset + 0x211_8000, pages: 3,
           expected: pairs(1) + pairs(1) + flushBarriers(pages: 3), tables: 0),
]

@Test func setMemoryROBarriersAndOracle() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    let perms = Permissions(pt: pt, walker: .leaf)
    var changed: [Range<UInt64>] = []
    for c in roCases {
        let before = pt.counters, tables = pt.allocator.pagesAllocated
        try perms.changeMemoryCommon(c.start, size: UInt64(c.pages) * 4096, .readOnly)
        #expect(Barriers(pt.counters.since(before)) == c.expected, "request at 0x\(String(c.start, radix: 16))")
        #expect(pt.allocator.pagesAllocated - tables == c.tables)
        changed.append(c.start..<(c.start + UInt64(c.pages) * 4096))
        for va in [c.start, c.start + UInt64(c.pages - 1) * 4096] {
            let t = try #require(pt.translate(va))
            #expect(t.attributes & Descriptor.rdonly != 0 && t.attributes & Descriptor.write == 0)
        }
    }
    #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
    let mismatch = reference.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd) { attrs, va in
        inside(va, changed) ? ProtChange.readOnly.applied(toAttributes: attrs) : attrs
    }
    #expect(mismatch == nil, "\(mismatch!)")
    // Without the adjustment the maps differ exactly at the first request.
    #expect(reference.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd)?.va
            == roCases.map(\.start).min())
}

@Test func onePageWithoutLazyModeMatchesSpec7() throws {
    // Spec §7: W1 without lazy mode emits 1058 pairs (512 + 1 for split_pud, 16 for
    // split_contpmd, 512 + 1 for split_pmd, 16 for split_contpte) plus 2 explicit
    // dsb ishst; the unbatched rewrite emits once more.
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let perms = Permissions(pt: pt, context: context { $0.lazyMMU = false })
    try perms.changeMemoryCommon(pageOffset + 2 * GiB + 0x123_4000, size: UInt64(1) * 4096, .readOnly)
    let splitPairs = (512 + 1) + 16 + (512 + 1) + 16  // spec §7: 1058
    #expect(Barriers(pt.counters) == pairs(splitPairs) + explicit(2) + pairs(1) + flushBarriers(pages: 1))
}

@Test func rangeSupportFlushesWithRangeOps() throws {
    let pt = try buildMap(try singleLayout())
    let perms = Permissions(pt: pt, context: context { $0.tlbiRange = true })
    try perms.changeMemoryCommon(pageOffset + 3 * GiB + 64 * MiB, size: UInt64(512) * 4096, .readOnly)
    // 512 pages = 8 · 2^(5·1+1): one range op at scale 1.
    #expect(pt.counters.tlbiRange == 1 && pt.counters.tlbiPage == 0 && pt.counters.tlbiAll == 0)
}

@Test func validAndDirectMapChangesOnAPTEMap() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout, mode: .pte)
    let pt = try buildMap(layout, mode: .pte)
    let perms = Permissions(pt: pt, context: context { $0.forcePTEMapping = true })
    let page = pageOffset + 1 * GiB + 0x5000
    func step(_ body: () throws -> Void) rethrows -> Barriers {
        let before = pt.counters
        try body()
        return Barriers(pt.counters.since(before))
    }
    // Invalidating: the PTE store is not a valid kernel entry (no barrier); TLB flush.
    #expect(try step { try perms.setMemoryValid(page, pages: 1, enable: false) } == flushBarriers(pages: 1))
    #expect(pt.translate(page) == nil)
    // Only setting VALID: one queued pair, no flush.
    #expect(try step { try perms.setMemoryValid(page, pages: 1, enable: true) } == pairs(1))
    // The noflush variants never flush.
    #expect(try step { try perms.setDirectMapInvalidNoflush(page) } == Barriers())
    #expect(pt.translate(page) == nil)
    #expect(try step { try perms.setDirectMapDefaultNoflush(page) } == pairs(1))
    // Back to PAGE_KERNEL (VALID | WRITE, no RDONLY): identical to the untouched map.
    #expect(reference.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd) == nil)
    #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
}

@Test func partialBlockWithoutSplitIsEINVAL() throws {
    // Without BBML2 W1 returns at once, so the rewrite meets a block it covers partly.
    let pt = try buildMap(try singleLayout())
    let perms = Permissions(pt: pt, context: context { $0.bbml2 = false })
    #expect(throws: KernelError.einval) { try perms.changeMemoryCommon(pageOffset + 2 * GiB, size: UInt64(1) * 4096, .readOnly) }
    // __change_memory_common flushes even so.
    #expect(pt.counters.tlbiPage == 1)
}

@Test func enomemMidSplitLeavesAConsistentMap() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    // split_pud gets its table, split_pmd does not.
    pt.allocator.failure = .after(pt.allocator.pagesAllocated + 1)
    let perms = Permissions(pt: pt, walker: .leaf)
    let start = pageOffset + 2 * GiB + 0x123_4000
    #expect(throws: KernelError.enomem) { try perms.changeMemoryCommon(start, size: UInt64(1) * 4096, .readOnly) }
    #expect(pt.allocator.failedAllocations == 1)
    // The PUD split stayed (transparently); no permission changed; the flush still ran.
    #expect(pt.translate(start)?.level == .pmd)
    #expect(pt.counters.tlbiPage == 1)
    #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
    #expect(reference.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd) == nil)
}

@Test(arguments: WalkerKind.allCases)
func seededRequestsWithEveryWalker(kind: WalkerKind) throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let requests = Array(try PermRequests(layout: layout, count: 40, size: .powerOfTwo(maxLog2: 10),
                                          placement: .clustered(clusters: 4, spreadPages: 4096), seed: 5))
    var runs: [Counters] = []
    for _ in 0..<2 {
        let pt = try buildMap(layout)
        let perms = Permissions(pt: pt, walker: kind)
        for r in requests { try perms.changeMemoryCommon(r.start, size: UInt64(r.pages) * 4096, .readOnly) }
        #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
        let ranges = requests.map { $0.start..<$0.end }
        #expect(reference.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd) { attrs, va in
            inside(va, ranges) ? ProtChange.readOnly.applied(toAttributes: attrs) : attrs
        } == nil)
        runs.append(pt.counters)
    }
    #expect(runs[0] == runs[1], "same seed, same counts")
    // Every request flushes: 1 ≤ pages < 512 → per-page TLBIs, 512+ → flush_tlb_all.
    #expect(runs[0].tlbiPage == requests.filter { $0.pages < 512 }.reduce(0) { $0 + $1.pages })
    #expect(runs[0].tlbiAll == requests.filter { $0.pages >= 512 }.count)
}
