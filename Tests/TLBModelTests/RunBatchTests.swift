import LinearMap
import PageTableModel
import Testing
import TLBModel

/// `run` walks its batches ahead and reuses those walks; one `access` at a time walks
/// on the miss. Both must count the same.
@Suite struct RunBatchTests {
    /// N1 with a set-associative walk cache: `run` touches the batch's tables ahead but
    /// keeps no walk ends, the accesses walk from the cache.
    static let walkCached: TLBConfiguration = {
        var c = TLBConfiguration.n1
        c.name = "n1-walk-cache"
        c.walkCache = WalkCacheConfiguration(entries: 24, ways: 4)
        return c
    }()

    @Test(arguments: ReferenceComparisonTests.geometries + [walkCached])
    func runCountsAsAccessByAccess(_ config: TLBConfiguration) throws {
        let (pt, layout) = try TestMaps.mixed()
        // Walk-heavy and hit-only stretches (batches with and without walks ahead), a
        // lower-half VA and one past the map (faults).
        var vas = ReferenceComparisonTests.trace(layout, seed: 5, count: 6_000)
            + ReferenceComparisonTests.alternation(layout, seed: 6, count: 6_000)
        for n in stride(from: 0, to: vas.count, by: 97) { vas[n] = n % 2 == 0 ? 0x1000 : layout.linearStart + layout.totalBytes }
        let batched = try SimulatedTLB(config), single = try SimulatedTLB(config)
        batched.attach(to: pt)
        single.attach(to: pt)
        var trace = try ReplayTrace(addresses: vas)
        batched.run(&trace, count: vas.count)
        for va in vas { single.access(va) }
        let m = batched.metrics
        #expect(m == single.metrics)
        #expect(m.tlbAccesses == vas.count && m.faults == 124 && m.dtlbWalk > 1_000, "\(config.name): \(m)")
        for level in config.levels.indices {
            #expect(batched.occupancy(level: level) == single.occupancy(level: level))
        }
    }
}
