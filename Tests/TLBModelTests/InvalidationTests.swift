import LinearMap
import PageTableModel
import Testing
import TLBModel

@Suite struct InvalidationTests {
    static let config = TLBConfiguration(name: "two", levels: [
        TLBLevelConfiguration(name: "L1D", entries: 8, ways: 8, sizes: [.k4, .m2]),
        TLBLevelConfiguration(name: "L2", entries: 64, ways: 4, sizes: PageSize.allCases),
    ], contCoalescing: false)

    @Test func pageAndRangeDropOverlappingEntries() throws {
        let (pt, layout) = try TestMaps.build(.pte)
        let tlb = try SimulatedTLB(Self.config)
        tlb.attach(to: pt)
        let page = pt.geometry.pageSize
        let p = layout.linearStart + 300 << 20
        let pages = (0..<4).map { p + UInt64($0) * page }
        for va in pages { #expect(tlb.access(va) == .walk(reads: 4)) }
        for va in pages { #expect(tlb.access(va) == .hit(level: 0)) }
        #expect(tlb.occupancy(level: 0) == 4 && tlb.occupancy(level: 1) == 4)

        let built = pt.counters.tlbiPage  // the build's fixmap unmaps
        pt.tlbi(.page(va: pages[1] + 100))
        #expect(pt.counters.tlbiPage - built == 1)
        #expect(tlb.occupancy(level: 0) == 3 && tlb.occupancy(level: 1) == 3)
        #expect(tlb.access(pages[1]) == .walk(reads: 4))

        pt.tlbi(.range(va: pages[2], pages: 2))
        #expect(tlb.occupancy(level: 0) == 2 && tlb.occupancy(level: 1) == 2)
        #expect(tlb.access(pages[0]) == .hit(level: 0))
        #expect(tlb.access(pages[1]) == .hit(level: 0))
        #expect(tlb.access(pages[2]) == .walk(reads: 4))
        #expect(tlb.access(pages[3]) == .walk(reads: 4))

        pt.tlbi(.all)
        #expect(tlb.occupancy(level: 0) == 0 && tlb.occupancy(level: 1) == 0)
        for va in pages { #expect(tlb.access(va) == .walk(reads: 4)) }
    }

    @Test func oneOverlappingPageDropsAWholeBlockEntry() throws {
        let (pt, layout) = try TestMaps.build(.block)
        let tlb = try SimulatedTLB(Self.config)
        tlb.attach(to: pt)
        let gib = pt.geometry.size(.pud)
        let block = layout.linearStart + 2 * gib  // a PUD block: L2 holds 1G, L1 a 2M piece
        #expect(tlb.access(block) == .walk(reads: 2))
        #expect(tlb.access(block + gib - 8) == .hit(level: 1))
        pt.tlbi(.range(va: block + gib / 2, pages: 1))  // touches the 1G entry only
        #expect(tlb.access(block + 4096) == .hit(level: 0))
        #expect(tlb.access(block + gib - 8) == .hit(level: 0))
        #expect(tlb.access(block + gib / 2) == .walk(reads: 2))
        pt.tlbi(.range(va: block - 4096, pages: 0))  // an empty range drops nothing
        #expect(tlb.occupancy(level: 1) == 1)
    }

    /// A dropped entry's way is the next victim in its set, ahead of the least recently
    /// used entry, even when the dropped entry was the most recent.
    @Test func aDroppedEntrysWayIsFilledFirst() throws {
        let (pt, layout) = try TestMaps.build(.pte)
        let tlb = try SimulatedTLB(TLBConfiguration(name: "one-set", levels: [
            TLBLevelConfiguration(name: "L1D", entries: 2, ways: 2, sizes: [.k4]),
        ], contCoalescing: false))
        tlb.attach(to: pt)
        let p = (0..<3).map { layout.linearStart + 300 << 20 + UInt64($0) * pt.geometry.pageSize }
        #expect(tlb.access(p[0]) == .walk(reads: 4))
        #expect(tlb.access(p[1]) == .walk(reads: 4))
        pt.tlbi(.page(va: p[1]))
        #expect(tlb.occupancy(level: 0) == 1)
        #expect(tlb.access(p[2]) == .walk(reads: 4))
        #expect(tlb.access(p[0]) == .hit(level: 0))
        #expect(tlb.access(p[1]) == .walk(reads: 4))  // evicts p[2], the least recent
        #expect(tlb.access(p[0]) == .hit(level: 0))
        #expect(tlb.access(p[2]) == .walk(reads: 4))
    }

    /// BBML2 splits issue no TLBI: the cached block entry keeps serving the range.
    @Test func splitWithoutTLBIKeepsStaleEntries() throws {
        let (pt, layout) = try TestMaps.build(.block)
        let tlb = try SimulatedTLB(Self.config)
        tlb.attach(to: pt)
        let chunk = layout.linearStart + 2 << 30
        #expect(tlb.access(chunk) == .walk(reads: 2))
        try TestMaps.splitChunk(pt, chunk)
        #expect(tlb.access(chunk + 4096) == .hit(level: 0))
        pt.tlbi(.page(va: chunk))
        #expect(tlb.access(chunk + 4096) == .walk(reads: 4))
    }
}
