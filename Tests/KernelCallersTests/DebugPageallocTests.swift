import Testing
import PageTableModel
import LinearMap
import KernelCallers

/// Pairs the nested page event and the outer section emit together (spec §3), after
/// ce2b3a50ad92 (W1 returns at once on a force_pte map, so only update_range_prot's own
/// lazy section nests). The outer section makes K valid PTE writes, the event comes after
/// the first j; it writes a valid PTE (queues) only when it maps the page (`enable`).
private func nestedPairs(_ policy: NestingPolicy, k: Int, j: Int, enable: Bool) -> Int {
    let pendingBefore = j > 0, writesAfter = k - j
    switch policy {
    case .tolerant:
        // The inner leave flushes and ends lazy mode: every later outer write emits.
        return (pendingBefore || enable ? 1 : 0) + writesAfter
    case .counted:
        // The nested disable only flushes; the outer leave flushes the rest.
        return (pendingBefore || enable ? 1 : 0) + (writesAfter > 0 ? 1 : 0)
    case .neverNest:
        // Pause leaves (flushing the outer writes), the inner section leaves on its own,
        // resume re-enters, the outer leave flushes the rest.
        return (pendingBefore ? 1 : 0) + (enable ? 1 : 0) + (writesAfter > 0 ? 1 : 0)
    }
}

/// What one page event costs outside any lazy section: mapping queues one PTE write (emitted
/// at the section's leave, or at once in softirq); unmapping writes an invalid PTE and
/// flushes the page.
private func plainEvent(enable: Bool) -> Barriers { enable ? pairs(1) : flushBarriers(pages: 1) }

private let smallLayout = { try! singleLayout(gib: 1) }()

@Test func nestedEventsUnderEachPolicy() throws {
    let pt = try buildMap(smallLayout, mode: .pte)
    let k = 8
    for j in [0, 3, k] {
        let churn = try DebugPagealloc(pt: pt, layout: smallLayout, outerWrites: k, nestAfter: j)
        for (p, policy) in NestingPolicy.allCases.enumerated() {
            pt.lazyMMU.policy = policy
            let page = pageOffset + 256 * MiB + UInt64(j * 16 + p) * 4096
            for enable in [false, true] {
                let before = pt.counters
                try churn.run(.init(va: page, enable: enable, placement: .nested))
                let expected = pairs(nestedPairs(policy, k: k, j: j, enable: enable))
                    + (enable ? Barriers() : flushBarriers(pages: 1))
                #expect(Barriers(pt.counters.since(before)) == expected, "\(policy) j=\(j) enable=\(enable)")
                #expect(pt.lazyMMU.lazy == false && pt.lazyMMU.pending == false)
            }
        }
    }
    // The acceptance figures for K = 8, j = 3, spelled out: tolerant 1 + 5 remaining writes;
    // counted 2 either way; never-nest 2 when unmapping, 3 when mapping.
    #expect(nestedPairs(.tolerant, k: 8, j: 3, enable: false) == 6)
    #expect(nestedPairs(.counted, k: 8, j: 3, enable: true) == 2)
    #expect(nestedPairs(.neverNest, k: 8, j: 3, enable: true) == 3)
    // Without a nested event the outer section is one pair.
    let before = pt.counters
    try DebugPagealloc(pt: pt, layout: smallLayout, outerWrites: k, nestAfter: 3).outerSection(nesting: nil)
    #expect(Barriers(pt.counters.since(before)) == pairs(1))
}

@Test(arguments: NestingPolicy.allCases)
func churnCountsFollowFromTheEvents(policy: NestingPolicy) throws {
    let reference = try buildMap(smallLayout, mode: .pte)
    let pt = try buildMap(smallLayout, mode: .pte, nesting: policy)
    let churn = try DebugPagealloc(pt: pt, layout: smallLayout, outerWrites: 6, nestAfter: 2)
    let events = churn.churn(count: 400, softirq: 0.3, nested: 0.3, seed: 42)
    #expect(events == churn.churn(count: 400, softirq: 0.3, nested: 0.3, seed: 42))
    #expect(Set(events.map(\.placement)) == Set(DebugPagealloc.Placement.allCases))
    #expect(events.contains { $0.enable } && events.contains { !$0.enable })
    try churn.run(events)

    var expected = Barriers()
    for e in events {
        expected = expected + plainEvent(enable: e.enable)
        if e.placement == .nested {
            // The nested event's own pair is part of the nesting figure.
            expected = expected + pairs(nestedPairs(policy, k: 6, j: 2, enable: e.enable) - (e.enable ? 1 : 0))
        }
    }
    #expect(Barriers(pt.counters) == expected)
    #expect(pt.counters.splitLockAcquisitions == 0 && pt.counters.sleepingLockInAtomic == 0)

    // Pages last freed are unmapped; mapping them again restores the original map.
    var free = Set<UInt64>()
    for e in events { if e.enable { free.remove(e.va) } else { free.insert(e.va) } }
    #expect(!free.isEmpty && free.allSatisfy { pt.translate($0) == nil })
    for va in free { try churn.perms.setMemoryValid(va, pages: 1, enable: true) }
    #expect(reference.firstMismatch(with: pt, from: smallLayout.linearStart, to: smallLayout.linearEnd) == nil)
    #expect(pt.verify(linearOffset: smallLayout.linearOffset).isEmpty)
}

@Test func sleepingLockInAtomicContextBeforeCE2B3A50AD92() throws {
    for old in [true, false] {
        let pt = try buildMap(smallLayout, mode: .pte)
        let churn = try DebugPagealloc(pt: pt, layout: smallLayout, context: context { $0.leafSplit = old ? .beforeCE2B3A50AD92 : .v6_18 })
        let events = churn.churn(count: 200, softirq: 0.25, nested: 0.25, seed: 7)
        try churn.run(events)
        let softirq = events.filter { $0.placement == .softirq }.count
        #expect(softirq > 0)
        // Before the fix W1 takes pgtable_split_lock for every page (only BBML2 is checked),
        // and in softirq that is Guenter Roeck's "sleeping function called from invalid
        // context"; after it, force_pte_mapping() returns before the lock.
        #expect(pt.counters.sleepingLockInAtomic == (old ? softirq : 0))
        #expect(pt.counters.splitLockAcquisitions == (old ? events.count : 0))
        #expect(pt.allocator.pagesAllocated == (try buildMap(smallLayout, mode: .pte)).allocator.pagesAllocated,
                "a PTE-mapped map never needs a split")
    }
}
