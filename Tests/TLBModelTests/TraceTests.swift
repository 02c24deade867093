import Foundation
import LinearMap
import PageTableModel
import Testing
import TLBModel

@Suite struct TraceTests {
    static let space = AddressSpace(ranges: [(0xffff_0000_4000_0000, 0xffff_0000_8000_0000),
                                             (0xffff_0100_0000_0000, 0xffff_0100_0020_0000)])

    static func first<G: TraceGenerator>(_ n: Int, _ g: G) -> [UInt64] {
        var g = g
        return (0..<n).map { _ in g.next() }
    }

    static func inSpace(_ va: UInt64) -> Bool { space.ranges.contains { va >= $0.start && va < $0.end } }

    static func generators(seed: UInt64) throws -> [(String, [UInt64])] {
        [("uniform", first(5000, UniformTrace(space: space, seed: seed))),
         ("sequential", first(5000, SequentialTrace(space: space, stride: 4096, seed: seed))),
         ("zipf", first(5000, try ZipfTrace(space: space, exponent: 1.1, seed: seed))),
         ("hot-set", first(5000, try HotSetTrace(space: space, bytes: 1 << 20, seed: seed))),
         ("memcached", first(5000, try MemcachedTrace(space: space, seed: seed)))]
    }

    @Test func deterministicPerSeedAndInRange() throws {
        let a = try Self.generators(seed: 7), b = try Self.generators(seed: 7), c = try Self.generators(seed: 8)
        for ((name, x), ((_, y), (_, z))) in zip(a, zip(b, c)) {
            #expect(x == y, "\(name): same seed, same trace")
            #expect(x != z, "\(name): another seed, another trace")
            #expect(x.allSatisfy(Self.inSpace), "\(name) leaves the mapped space")
        }
    }

    @Test func uniformCoversBothRangesByTheirSize() {
        let vas = Self.first(200_000, UniformTrace(space: Self.space, seed: 3))
        let small = vas.filter { $0 >= Self.space.ranges[1].start }.count
        let p = Double(2 << 20) / Double(Self.space.bytes)  // 2 MiB of 1 GiB + 2 MiB
        let sd = (p * (1 - p) * 200_000).squareRoot()
        #expect(abs(Double(small) - p * 200_000) < 5 * sd)
    }

    @Test func sequentialStridesAndCrossesRanges() {
        var g = SequentialTrace(space: Self.space, stride: 64, seed: 1)
        var previous = g.next(), crossings = 0
        for _ in 0..<Int(Self.space.bytes / 64) {
            let va = g.next()
            if va != previous + 64 { crossings += 1 }
            previous = va
        }
        // One jump into the second range, one wrap back to the first: a full lap.
        #expect(crossings == 2)
    }

    @Test func hotSetStaysInsideItsWindow() throws {
        var g = try HotSetTrace(space: Self.space, bytes: 3 << 20, seed: 5)
        #expect(g.base % 4096 == 0)
        #expect(Self.inSpace(g.base) && Self.inSpace(g.base + g.bytes - 1))
        // 3 MiB does not fit the 2 MiB range: it lands in the first.
        #expect(g.base + g.bytes <= Self.space.ranges[0].end)
        for _ in 0..<10_000 {
            let va = g.next()
            #expect(va >= g.base && va < g.base + g.bytes)
        }
    }

    /// Frequencies of the first ranks against P(k) = k^-s / Σ j^-s.
    @Test(arguments: [0.5, 1.0, 1.3])
    func zipfMatchesItsDistribution(_ s: Double) throws {
        let n: UInt64 = 1000, draws = 400_000
        let sampler = try ZipfSampler(count: n, exponent: s)
        var random = TraceRandom(seed: 11)
        var counts = [Int](repeating: 0, count: Int(n) + 1)
        for _ in 0..<draws {
            let k = sampler.next(&random)
            #expect(k >= 1 && k <= n)
            counts[Int(k)] += 1
        }
        let norm = (1...n).reduce(0.0) { $0 + pow(Double($1), -s) }
        for k in [1, 2, 3, 5, 10, 100] {
            let p = pow(Double(k), -s) / norm
            let sd = (p * (1 - p) * Double(draws)).squareRoot()
            #expect(abs(Double(counts[k]) - p * Double(draws)) < 5 * sd, "s \(s) rank \(k): \(counts[k]) vs \(p * Double(draws))")
        }
        let top10 = counts[1...10].reduce(0, +), next10 = counts[11...20].reduce(0, +)
        #expect(top10 > next10, "skew: the ten most popular ranks beat the next ten")
    }

    @Test func unscatteredZipfFavoursTheFirstPage() throws {
        var g = try ZipfTrace(space: Self.space, exponent: 1.2, scattered: false, seed: 2)
        var firstPage = 0, secondPage = 0
        let start = Self.space.ranges[0].start
        for _ in 0..<50_000 {
            switch (g.next() - start) >> 12 {
            case 0: firstPage += 1
            case 1: secondPage += 1
            default: break
            }
        }
        // P(1) / P(2) = 2^1.2 ≈ 2.3.
        #expect(Double(firstPage) > 2 * Double(secondPage) && Double(firstPage) < 2.6 * Double(secondPage))
    }

    @Test func replayReadsHexLinesAndWraps() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tlb-replay-\(getpid()).txt").path
        try "0xffff000040001000\n\n# comment\nFFFF000040002008\n  0xffff000040003010  \n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var g = try ReplayTrace(contentsOfFile: path)
        #expect(g.count == 3)
        #expect((0..<4).map { _ in g.next() } == [0xffff_0000_4000_1000, 0xffff_0000_4000_2008, 0xffff_0000_4000_3010, 0xffff_0000_4000_1000])
    }

    @Test func tracesRunThroughTheTLB() throws {
        let (pt, layout) = try TestMaps.build(.block)
        let space = AddressSpace(layout: layout)
        #expect(space.bytes == layout.totalBytes)
        let tlb = try SimulatedTLB(.n1)
        tlb.attach(to: pt)
        var memcached = try MemcachedTrace(space: space, seed: 1)
        tlb.run(&memcached, count: 10_000)
        var replay = try ReplayTrace(addresses: [layout.linearStart, layout.linearEnd - 8])
        tlb.run(&replay, count: 10)
        let m = tlb.metrics
        #expect(m.tlbAccesses == 10_010)
        #expect(m.faults == 0)
    }
}
