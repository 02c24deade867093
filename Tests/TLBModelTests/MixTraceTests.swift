import Foundation
import LinearMap
import PageTableModel
import Testing
import TLBModel

/// Trace mixes: the linear map's accesses interleaved with accesses whose mapping does not
/// follow the linear map's mode (kernel image, vmalloc stacks, user pages).
@Suite struct MixTraceTests {
    static func spec(image: Double = 0, vmalloc: Double = 0, user: Double = 0, page: UserPageSize = .k4,
                     userBytes: UInt64 = 64 << 20) -> MixSpec {
        var s = MixSpec()
        s.shares = MixShares(image: image, vmalloc: vmalloc, user: user)
        s.userPage = page
        s.userBytes = userBytes
        return s
    }

    /// Metrics of `count` accesses of `linear`, mixed per `spec`, through a fresh N1 TLB.
    static func metrics<G: TraceGenerator>(_ pt: PageTable, _ regions: MixRegions, _ linear: G, count: Int) throws -> TLBMetrics {
        let tlb = try SimulatedTLB(.n1)
        return regions.withView(over: pt) { table in
            tlb.attach(to: table)
            defer { table.tlbObserver = nil }
            var mix = MixTrace(linear: linear, regions: regions, period: count, seed: 7)
            tlb.run(&mix, count: count)
            return tlb.metrics
        }
    }

    @Test func countsFollowTheSharesExactly() {
        #expect(MixShares(image: 0.1, vmalloc: 0.2, user: 0.3).counts(of: 1000) == [400, 100, 200, 300])
        // Whole parts 3, 3, 3 and 0: the spare access goes to the first largest fraction.
        #expect(MixShares(image: 1.0 / 3, vmalloc: 1.0 / 3, user: 1.0 / 3).counts(of: 10) == [0, 4, 3, 3])
        #expect(MixShares(image: 0.29, vmalloc: 0, user: 0.71).counts(of: 100) == [0, 29, 0, 71])
        #expect(!MixShares(image: 0.6, vmalloc: 0.5).isValid)
        #expect(MixShares(image: 0.1, vmalloc: 0.2, user: 0.7).isValid)
    }

    @Test func eachClassGetsItsShareAndStaysInItsRegion() throws {
        let (_, layout) = try TestMaps.build(.block)
        let regions = try MixRegions(Self.spec(image: 0.1, vmalloc: 0.2, user: 0.3), layout: layout, seed: 1)
        let space = AddressSpace(layout: layout)
        var mix = MixTrace(linear: UniformTrace(space: space, seed: 1), regions: regions, period: 1000, seed: 3)
        var plain = UniformTrace(space: space, seed: 1)
        var inRegion = [0, 0, 0, 0]
        for _ in 0..<2000 {
            let va = mix.next()
            if space.ranges.contains(where: { va >= $0.start && va < $0.end }) {
                // The linear part is the plain trace's stream, in order.
                #expect(va == plain.next())
                inRegion[0] += 1
            } else if va >= regions.imageBase && va < regions.imageBase + regions.imageBytes {
                inRegion[1] += 1
            } else if va >= regions.stackBase && va < regions.stackBase + 64 * 32 << 10 && (va - regions.stackBase) % (32 << 10) < 16 << 10 {
                inRegion[2] += 1
            } else if va >= regions.userBase && va < regions.userBase + (64 << 20) {
                inRegion[3] += 1
            }
        }
        #expect(mix.drawn == [800, 200, 400, 600])
        #expect(inRegion == mix.drawn)
        var again = MixTrace(linear: UniformTrace(space: space, seed: 1), regions: regions, period: 1000, seed: 3)
        var other = MixTrace(linear: UniformTrace(space: space, seed: 1), regions: regions, period: 1000, seed: 4)
        var fresh = MixTrace(linear: UniformTrace(space: space, seed: 1), regions: regions, period: 1000, seed: 3)
        let first = (0..<500).map { _ in fresh.next() }
        #expect((0..<500).map { _ in again.next() } == first)
        #expect((0..<500).map { _ in other.next() } != first)
    }

    /// The regions' leaves, counted independently: map_range's data/bss of the default
    /// image, 4 PTEs a stack, and the user pages at their size.
    @Test(arguments: [(UserPageSize.k4, 0, 16384, 0), (.k64, 0, 0, 16384), (.m2, 32, 0, 0)])
    func regionsMapTheirOwnLeaves(page: UserPageSize, pmd: Int, pte: Int, pteCont: Int) throws {
        let layout = try TestMaps.layout()
        let regions = try MixRegions(Self.spec(image: 0.1, vmalloc: 0.1, user: 0.1, page: page), layout: layout, seed: 1)
        let h = regions.withView(over: try PageTable()) { $0.leafHistogram() }
        // data/bss = [_text + 0x2880000, + 0x4b0000) with _text 2 MiB aligned: 0x180000 of
        // CONT PTEs, one 2 MiB block, 0x130000 of CONT PTEs.
        #expect(h.pmd == 1 + pmd)
        #expect(h.pteCont == (0x180000 + 0x130000) / 4096 + pteCont)
        #expect(h.pte == 64 * 4 + pte)
        #expect(h.pud == 0 && h.pmdCont == 0)
    }

    /// No linear accesses: nothing depends on the linear map's mode.
    @Test func withoutLinearAccessesBlockAndPTEMissAlike() throws {
        var results: [TLBMetrics] = []
        for mode in [MappingMode.block, .pte] {
            let (pt, layout) = try TestMaps.build(mode)
            let regions = try MixRegions(Self.spec(image: 0.2, vmalloc: 0.3, user: 0.5), layout: layout, seed: 1)
            let linear = try MemcachedTrace(space: AddressSpace(layout: layout), seed: 1)
            results.append(try Self.metrics(pt, regions, linear, count: 200_000))
        }
        #expect(results[0] == results[1])
        #expect(results[0].dtlbWalk > 0 && results[0].faults == 0)
    }

    /// Every access linear: the same counts as the plain trace over the linear map alone.
    @Test func allLinearReproducesThePlainTrace() throws {
        for (mode, walks) in [(MappingMode.block, 98), (.pte, 152_065)] {
            let (pt, layout) = try TestMaps.build(mode)
            let space = AddressSpace(layout: layout)
            let plain = try SimulatedTLB(.n1)
            plain.attach(to: pt)
            var trace = try MemcachedTrace(space: space, seed: 1)
            plain.run(&trace, count: 200_000)
            pt.tlbObserver = nil
            let regions = try MixRegions(MixSpec(), layout: layout, seed: 1)
            let mixed = try Self.metrics(pt, regions, try MemcachedTrace(space: space, seed: 1), count: 200_000)
            #expect(mixed == plain.metrics)
            #expect(mixed.dtlbWalk == walks)
        }
    }

    @Test func badSharesAndSizesAreRefused() throws {
        let layout = try TestMaps.layout()
        #expect(throws: TLBModelError.self) { try MixRegions(Self.spec(image: 0.7, user: 0.7), layout: layout, seed: 1) }
        #expect(throws: TLBModelError.self) { try MixRegions(Self.spec(user: 0.1, page: .m2, userBytes: 3 << 20), layout: layout, seed: 1) }
    }
}
