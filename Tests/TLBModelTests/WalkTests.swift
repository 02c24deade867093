import LinearMap
import PageTableModel
import Testing
import TLBModel

@Suite struct WalkTests {
    /// One 4K-only entry: every access to a new page walks.
    static func tiny(walkCache: WalkCacheConfiguration? = nil, sizes: [PageSize] = [.k4]) -> TLBConfiguration {
        TLBConfiguration(name: "tiny", levels: [TLBLevelConfiguration(name: "L1D", entries: 1, ways: 1, sizes: sizes)],
                         contCoalescing: false, walkCache: walkCache)
    }

    @Test func readsFollowLeafDepth() throws {
        let (pt, layout) = try TestMaps.build(.block)
        let tlb = try SimulatedTLB(.n1)
        tlb.attach(to: pt)
        let g = pt.geometry
        let gib = g.size(.pud)
        let image = layout.kernelAliasVA
        // Expected depth: the level of the leaf the oracle finds, counted from 1.
        let probes: [UInt64] = [layout.linearStart + 2 * gib + 12345, layout.linearStart + 100 << 20,
                                alignDown(image.end, g.pageSize) - g.pageSize]
        var expected = [0, 0, 0, 0]
        for va in probes {
            let depth = pt.translate(va)!.level.rawValue + 1
            expected[depth - 1] += 1
            #expect(tlb.access(va) == .walk(reads: depth))
        }
        #expect(expected == [0, 1, 1, 1], "the probes cover a PUD block, a PMD block and a page")
        let before = pt.counters
        #expect(tlb.access(layout.linearEnd + gib) == .fault)
        #expect(tlb.access(LinearMapRange.end - g.pageSize) == .fault)
        let m = tlb.metrics
        #expect(m.walksByDepth == expected)
        #expect(m.walkRefs == 2 + 3 + 4)
        #expect(m.dtlbWalk == 3)
        #expect(m.faults == 2)
        #expect(m.tlbAccesses == 5)
        #expect(pt.counters == before)
    }

    /// A 2 GiB pte map, a one-entry TLB with a fully associative walk cache of `entries`,
    /// and an address past the block-mapped kernel image.
    private func walkCacheCase(entries: Int) throws -> (PageTable, SimulatedTLB, Geometry, UInt64) {
        let (pt, layout) = try TestMaps.build(.pte, gib: 2)
        let tlb = try SimulatedTLB(Self.tiny(walkCache: WalkCacheConfiguration(entries: entries, ways: entries)))
        tlb.attach(to: pt)
        return (pt, tlb, pt.geometry, layout.linearStart + 100 * pt.geometry.size(.pmd))
    }

    @Test func walkCacheShortensWalks() throws {
        let (pt, tlb, g, a) = try walkCacheCase(entries: 16)
        // Cold: all four levels. Same PTE table: only the PTE. Same PMD table: PMD + PTE.
        // Same PUD table, next GiB: PUD + PMD + PTE.
        #expect(tlb.access(a) == .walk(reads: 4))
        #expect(tlb.access(a + g.pageSize) == .walk(reads: 1))
        #expect(tlb.access(a + g.size(.pmd)) == .walk(reads: 2))
        #expect(tlb.access(a + g.size(.pud)) == .walk(reads: 3))
        #expect(tlb.metrics.walksByDepth == [1, 1, 1, 1])
        #expect(tlb.metrics.walkRefs == 10)
        // A last-level TLBI keeps the walk cache; flush-all empties it.
        pt.tlbi(.page(va: a))
        #expect(tlb.access(a) == .walk(reads: 1))
        pt.tlbi(.all)
        #expect(tlb.access(a) == .walk(reads: 4))
    }

    /// A table-level TLBI (not last-level only) drops the walk-cache entries on its VA's
    /// path as well as the TLB entries over the page.
    @Test func tableTLBIDropsTheWalkCachePath() throws {
        let (pt, tlb, g, a) = try walkCacheCase(entries: 16)
        #expect(tlb.access(a) == .walk(reads: 4))
        pt.tlbi(.pageAllLevels(va: a + g.pageSize))
        #expect(tlb.access(a) == .hit(level: 0))
        #expect(tlb.access(a + g.pageSize) == .walk(reads: 4))
        #expect(tlb.access(a + 2 * g.pageSize) == .walk(reads: 1))
    }

    @Test func walkCacheEvictsLeastRecentlyUsed() throws {
        // Room for two table entries only.
        let (_, tlb, g, a) = try walkCacheCase(entries: 2)
        #expect(tlb.access(a) == .walk(reads: 4))  // caches PGD, PUD, PMD entries: PGD evicted
        #expect(tlb.access(a + g.size(.pmd)) == .walk(reads: 2))  // PUD hit; caches the new PMD entry, evicting the old one
        #expect(tlb.access(a + g.pageSize) == .walk(reads: 2))  // old PMD entry gone, PUD still cached
    }

    @Test func coalescingChangesTheHeldSize() throws {
        let (pt, layout) = try TestMaps.build(.pte)
        let page = pt.geometry.pageSize
        let a = layout.linearStart + 64 << 20
        for (pageCoalescing, covered) in [(false, 1), (true, 4)] {
            var config = Self.tiny(sizes: [.k4, .k16])
            config.pageCoalescing = pageCoalescing
            let tlb = try SimulatedTLB(config)
            tlb.attach(to: pt)
            #expect(tlb.access(a) == .walk(reads: 4))
            // Pages of a's 16 KiB group hit when coalesced; the next group never does.
            for k in 1..<4 { #expect(tlb.access(a + UInt64(k) * page) == (k < covered ? .hit(level: 0) : .walk(reads: 4))) }
            #expect(tlb.access(a + 4 * page) == .walk(reads: 4))
        }
    }
}
