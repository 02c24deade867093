import LinearMap
import PageTableModel
import Testing
import TLBModel

/// The same accesses cost more walks over a PTE map than over a block map.
@Suite struct DirectionTests {
    @Test(arguments: ["uniform", "zipf", "memcached"])
    func pteMapWalksMore(_ kind: String) throws {
        var metrics: [MappingMode: TLBMetrics] = [:]
        for mode in MappingMode.allCases {
            let (pt, layout) = try TestMaps.build(mode)
            let space = AddressSpace(layout: layout)
            let tlb = try SimulatedTLB(.n1)
            tlb.attach(to: pt)
            switch kind {
            case "uniform":
                var t = UniformTrace(space: space, seed: 9)
                tlb.run(&t, count: 50_000)
            case "zipf":
                var t = try ZipfTrace(space: space, exponent: 0.9, seed: 9)
                tlb.run(&t, count: 50_000)
            default:
                var t = try MemcachedTrace(space: space, seed: 9)
                tlb.run(&t, count: 50_000)
            }
            metrics[mode] = tlb.metrics
        }
        let block = metrics[.block]!, pte = metrics[.pte]!
        #expect(pte.dtlbWalk > block.dtlbWalk)
        #expect(pte.walkRefs > block.walkRefs)
        #expect(pte.walksPer1kAccesses > block.walksPer1kAccesses)
        #expect(pte.l2dTLBRefill > block.l2dTLBRefill)
    }

    @Test func reachOfTheN1Levels() throws {
        let (block, layout) = try TestMaps.build(.block)
        let (pte, _) = try TestMaps.build(.pte)
        let l2 = TLBConfiguration.n1.levels[1]
        let hb = block.leafHistogram(), hp = pte.leafHistogram()
        // The L2 holds every leaf kind, so when the map needs no more entries than it
        // has, it reaches all of memory; without CONT coalescing, each CONT entry alone.
        #expect(hb.tlbReachEntries <= l2.entries)
        #expect(l2.reachBytes(of: hb, contCoalescing: true) == layout.totalBytes)
        // A level with one entry per PUD block and CONT PMD group takes those first;
        // without CONT coalescing, the same entries hold 2M pieces instead of 32M.
        var small = l2
        small.entries = hb.pud + hb.contPMDGroups
        #expect(hb.contPMDGroups > 0)
        #expect(small.reachBytes(of: hb, contCoalescing: true) == UInt64(hb.pud) << 30 + UInt64(hb.contPMDGroups) << 25)
        #expect(small.reachBytes(of: hb, contCoalescing: false) == UInt64(hb.pud) << 30 + UInt64(hb.contPMDGroups) << 21)
        // A PTE map (kernel image aside) reaches at most 1280 entries of 4K plus the image's 2M blocks.
        #expect(l2.reachBytes(of: hp, contCoalescing: true) == UInt64(hp.pmd) << 21 + UInt64(1280 - hp.pmd) << 12)
    }
}
