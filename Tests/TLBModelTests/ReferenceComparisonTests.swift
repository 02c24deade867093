import LinearMap
import PageTableModel
import Testing
import TLBModel

/// The fast TLB against `ReferenceTLB`, access by access, on seeded random traces.
@Suite struct ReferenceComparisonTests {
    static let l1Sizes: [PageSize] = [.k4, .k16, .k64, .m2, .m512]

    static let geometries: [TLBConfiguration] = [
        TLBConfiguration(name: "fa48", levels: [TLBLevelConfiguration(name: "L1D", entries: 48, ways: 48, sizes: l1Sizes)],
                         contCoalescing: true),
        TLBConfiguration(name: "fa12-scan", levels: [TLBLevelConfiguration(name: "L1D", entries: 12, ways: 12, sizes: PageSize.allCases)],
                         contCoalescing: false),
        TLBConfiguration(name: "sa64x4", levels: [TLBLevelConfiguration(name: "L1D", entries: 64, ways: 4, sizes: PageSize.allCases)],
                         contCoalescing: false),
        TLBConfiguration(name: "sa24x4-6sets", levels: [TLBLevelConfiguration(name: "L1D", entries: 24, ways: 4, sizes: [.k4, .m2, .g1])],
                         contCoalescing: true, pageCoalescing: true),
        TLBConfiguration(name: "two-small", levels: [
            TLBLevelConfiguration(name: "L1D", entries: 8, ways: 8, sizes: [.k4, .m2]),
            TLBLevelConfiguration(name: "L2", entries: 40, ways: 2, sizes: PageSize.allCases),
        ], contCoalescing: false, pageCoalescing: true),
        TLBConfiguration(name: "two-small-cont", levels: [
            TLBLevelConfiguration(name: "L1D", entries: 20, ways: 20, sizes: [.k4, .k64, .m2]),
            TLBLevelConfiguration(name: "L2", entries: 64, ways: 4, sizes: [.k4, .k64, .m2, .m32, .m512]),
        ], contCoalescing: true),
        .n1,
        .v2,
    ]

    /// Half the accesses near a few hundred hot pages (around the split chunks, so
    /// every leaf kind is hit), half anywhere in the map.
    static func trace(_ layout: MachineLayout, seed: UInt64, count: Int) -> [UInt64] {
        var rng = SplitMix64(seed: seed)
        let base = layout.linearStart, bytes = layout.totalBytes
        let hot: [UInt64] = (0..<300).map { _ in
            let chunk: UInt64 = [40, 41, 300, 301, 302, 700, 1200, 1700, 5, 1000][Int(rng.next() % 10)]
            return base + chunk << 21 + (rng.next() % 512) << 12
        }
        return (0..<count).map { _ in
            rng.next() % 2 == 0 ? hot[Int(rng.next() % 300)] + rng.next() % 4096 : base + rng.next() % bytes
        }
    }

    /// Runs of two or three pages taking turns, each run with one new page: L1 hits on
    /// the entry touched last but one (which must still move it to the LRU front).
    static func alternation(_ layout: MachineLayout, seed: UInt64, count: Int) -> [UInt64] {
        var rng = SplitMix64(seed: seed)
        let pool = (0..<400).map { _ in layout.linearStart + rng.next() % layout.totalBytes }
        var out: [UInt64] = []
        while out.count < count {
            let run = (0..<Int(2 + rng.next() % 2)).map { _ in pool[Int(rng.next() % 400)] }
            for k in 0..<Int(4 + rng.next() % 8) { out.append(run[k % run.count]) }
        }
        return Array(out.prefix(count))
    }

    @Test(arguments: geometries)
    func sameOutcomes(_ config: TLBConfiguration) throws {
        let (pt, layout) = try TestMaps.mixed()
        for seed: UInt64 in [1, 2] {
            try compare(config, pt, Self.trace(layout, seed: seed, count: 20_000), "seed \(seed)")
        }
    }

    @Test(arguments: geometries)
    func sameOutcomesOnAlternation(_ config: TLBConfiguration) throws {
        let (pt, layout) = try TestMaps.mixed()
        try compare(config, pt, Self.alternation(layout, seed: 3, count: 20_000), "alternation", everyLevelHit: false)
    }

    /// The model and the reference give the same outcome for every access of `trace`.
    private func compare(_ config: TLBConfiguration, _ pt: PageTable, _ trace: [UInt64], _ name: String,
                         everyLevelHit: Bool = true) throws {
        let tlb = try SimulatedTLB(config)
        tlb.attach(to: pt)
        var reference = ReferenceTLB(config, pt)
        let before = pt.counters
        var hits = Array(repeating: 0, count: config.levels.count), walks = 0
        for (n, va) in trace.enumerated() {
            let fast = tlb.access(va), slow = reference.access(va)
            guard fast == slow else {
                Issue.record("\(config.name) \(name) access \(n) VA 0x\(String(va, radix: 16)): \(fast) vs \(slow)")
                return
            }
            switch fast {
            case .hit(let level): hits[level] += 1
            case .walk: walks += 1
            case .fault: break
            }
        }
        // The traces must exercise both outcomes of every level (of L1 at least).
        let exercised = everyLevelHit ? hits : [hits[0]]
        #expect(exercised.allSatisfy { $0 > 100 } && walks > 100, "\(config.name): hits \(hits), walks \(walks)")
        let m = tlb.metrics
        #expect(m.tlbAccesses == trace.count)
        #expect(m.dtlbWalk == walks)
        #expect(m.l1dTLBRefill == trace.count - hits[0])
        if config.levels.count == 2 { #expect(m.l2dTLBRefill == walks) }
        #expect(pt.counters == before, "TLB walks must not move the table's counters")
    }
}

extension TLBConfiguration: CustomTestStringConvertible {
    public var testDescription: String { name }
}
