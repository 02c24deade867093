import Testing
import PageTableModel
import LinearMap
@testable import SplitWalkers

let flagSets: [MapFlags] = [[], [.noBlock], [.noCont], [.noBlock, .noCont]]

/// W3 re-runs the create walker with SPLIT; it must leave exactly W2's map.
@Test(arguments: flagSets, [7, 8] as [UInt64])
func rangeAndCreatePathAgree(flags: MapFlags, seed: UInt64) throws {
    let range = try Fixture(), create = try Fixture()
    // NO_BLOCK turns whole GiBs into pages: keep those requests small.
    let scales = flags.isEmpty ? [G.page, G.contPTESize, G.pmdSize, G.contPMDSize, G.pudSize]
                               : [G.page, G.contPTESize, G.pmdSize]
    let requests = randomRequests(seed: seed, count: 30, in: range.start, range.end, scales: scales)
    let w2 = RangeWalker(options: options(flags: flags)), w3 = CreatePathWalker(options: options(flags: flags))
    for r in requests {
        try w2.split(range.pt, from: r.start, to: r.end)
        try w3.split(create.pt, from: r.start, to: r.end)
    }
    let a = range.leaves(), b = create.leaves()
    #expect(firstDifference(a, b) == nil)
    // Same splits, so the same stores, barriers and allocations; only the reads differ.
    let c2 = range.pt.counters, c3 = create.pt.counters
    #expect(c2.entriesWritten == c3.entriesWritten)
    #expect(c2.dsbIshst == c3.dsbIshst && c2.isb == c3.isb)
    #expect(range.pt.allocator.pagesAllocated == create.pt.allocator.pagesAllocated)
    #expect(firstDifference(a, range.reference.leaves(from: range.start, to: range.end).map(LeafKey.init)) != nil)
    range.expectUnchangedTranslation()
    create.expectUnchangedTranslation()
}

/// Without flags W2 splits only where a request boundary falls inside a leaf: the same
/// minimal map as W1 for the same boundaries.
@Test func rangeWithoutFlagsIsMinimal() throws {
    let f = try Fixture()
    let original = Unit.of(f.pt, from: f.start, to: f.end)
    let requests = randomRequests(seed: 11, count: 40, in: f.start, f.end)
    for r in requests { try RangeWalker(options: options()).split(f.pt, from: r.start, to: r.end) }
    let expected = leaves(of: splitAtBoundaries(original, requests.flatMap { [$0.start, $0.end] }))
    #expect(firstDifference(f.leaves(), expected) == nil)
    f.expectUnchangedTranslation()
}

/// NO_BLOCK | NO_CONT leaves nothing but plain pages inside the range; W2 then allocates
/// GFP_ATOMIC, and GFP_KERNEL without flags.
@Test func rangeNoBlockNoContMapsPages() throws {
    let f = try Fixture()
    let start = f.va(G.gib + G.pmdSize - G.page), end = f.va(G.gib + 2 * G.contPMDSize + G.page)
    let before = f.pt.allocator.allocated(.kernel)
    try RangeWalker(options: options(flags: [.noBlock, .noCont])).split(f.pt, from: start, to: end)
    #expect(f.pt.leaves(from: start, to: end).first { $0.level != .pte || $0.descriptor.isCont }.map(LeafKey.init) == nil)
    // One PMD table for the GiB, one PTE table per 2 MiB the range touches.
    let pmdsTouched = Int((alignUp(end, G.pmdSize) - alignDown(start, G.pmdSize)) / G.pmdSize)
    #expect(f.pt.allocator.allocated(.atomic) == 1 + pmdsTouched)
    #expect(f.pt.allocator.allocated(.kernel) == before)
    f.expectUnchangedTranslation()
}

/// Entries the range covers whole are skipped a run at a time: the reads do not grow
/// with the covered interior. Each partially covered side reads its PUD, then the PUD
/// again after splitting it, the CONT_PMD group head, the PMD and the PMD again after
/// splitting, and the CONT_PTE group head; plus the one PGD entry.
@Test func rangeSkipsCoveredInterior() throws {
    let readsPerSide = 2 + 1 + 2 + 1
    let expectedReads = 1 + 2 * readsPerSide
    for interiorGiB: UInt64 in [0, 1] {
        let f = try Fixture()
        let start = f.va(G.gib + G.page), end = f.va((2 + interiorGiB) * G.gib + G.page)
        let before = f.counters()
        try RangeWalker(options: options()).split(f.pt, from: start, to: end)
        let d = f.counters().since(before)
        #expect(d.entriesVisited == expectedReads)
        #expect(d.walks == 1)
        #expect(d.splitLockAcquisitions == 1)
        f.expectUnchangedTranslation()
    }
    // The whole linear map: one PGD read, every PUD covered, nothing written.
    let f = try Fixture()
    let before = f.counters()
    try RangeWalker(options: options()).split(f.pt, from: f.start, to: f.end)
    let d = f.counters().since(before)
    #expect(d.entriesVisited == 1)
    #expect(d.totalEntriesWritten == 0 && d.dsbIshst == 0)
}

/// Across the hole between two NUMA banks, and starting inside it (no PA to take the
/// create walker's alignment from), W2 and W3 still agree.
@Test(arguments: flagSets)
func rangeAndCreatePathAgreeAcrossHoles(flags: MapFlags) throws {
    let layout = try MachineLayout.builtin("numa2", memory: 4 << 30)
    let maps = try (0..<3).map { _ in try PageTable() }
    for pt in maps { try LinearMapBuilder(layout: layout, mode: .block).build(into: pt) }
    let (range, create, reference) = (maps[0], maps[1], maps[2])
    let bank0 = layout.banks[0], bank1 = layout.banks[1]
    let requests = [
        (layout.va(ofPA: bank0.end - G.contPTESize - G.page), layout.va(ofPA: bank1.start + G.pmdSize + G.page)),
        (layout.va(ofPA: bank0.end + G.pudSize + G.page), layout.va(ofPA: bank1.start + G.contPMDSize + G.page)),
    ]
    for (start, end) in requests {
        try RangeWalker(options: options(flags: flags)).split(range, from: start, to: end)
        try CreatePathWalker(options: options(flags: flags)).split(create, from: start, to: end)
    }
    let all = (layout.linearStart, layout.linearEnd)
    let a = range.leaves(from: all.0, to: all.1).map(LeafKey.init)
    #expect(firstDifference(a, create.leaves(from: all.0, to: all.1).map(LeafKey.init)) == nil)
    #expect(firstDifference(a, reference.leaves(from: all.0, to: all.1).map(LeafKey.init)) != nil)
    for pt in [range, create] {
        #expect(pt.firstMismatch(with: reference, from: all.0, to: all.1) == nil)
        #expect(pt.verify(linearOffset: layout.linearOffset) == [])
    }
}
