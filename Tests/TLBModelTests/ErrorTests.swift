import Foundation
import Testing
import TLBModel

@Suite struct ErrorTests {
    @Test func presets() throws {
        #expect(try TLBConfiguration.preset("n1") == .n1)
        #expect(try TLBConfiguration.preset("V2") == .v2)
        #expect(throws: TLBModelError("--tlb: unknown TLB preset 'a99'; use one of n1, v2")) {
            try TLBConfiguration.preset("a99")
        }
        #expect(TLBConfiguration.n1.levels.map(\.sets) == [1, 256])
    }

    @Test func geometry() {
        var c = TLBConfiguration.n1
        c.levels[1].ways = 7
        #expect(throws: TLBModelError("--tlb: n1 L2 associativity 7 does not divide its 1280 entries")) { try SimulatedTLB(c) }
        c = .n1
        c.levels[0].sizes = [.m2]
        #expect(throws: TLBModelError("--tlb: n1 L1D must hold 4K pages")) { try SimulatedTLB(c) }
        c = .n1
        c.walkCache = WalkCacheConfiguration(entries: 10, ways: 4)
        #expect(throws: TLBModelError("--tlb: n1 walk cache associativity 4 does not divide its 10 entries")) { try SimulatedTLB(c) }
    }

    @Test(arguments: [0.0, -1.0, Double.nan])
    func zipfExponent(_ s: Double) {
        #expect(throws: TLBModelError("--zipf: the exponent must be a positive number (got \(s))")) {
            try ZipfSampler(count: 10, exponent: s)
        }
    }

    @Test func traceFiles() throws {
        let dir = FileManager.default.temporaryDirectory
        let empty = dir.appendingPathComponent("tlb-empty-\(getpid()).txt").path
        let bad = dir.appendingPathComponent("tlb-bad-\(getpid()).txt").path
        try "\n# nothing\n\n".write(toFile: empty, atomically: true, encoding: .utf8)
        try "0x1000\nzz\n".write(toFile: bad, atomically: true, encoding: .utf8)
        defer { for p in [empty, bad] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(throws: TLBModelError("--trace: \(empty) holds no addresses")) { try ReplayTrace(contentsOfFile: empty) }
        #expect(throws: TLBModelError("--trace: \(bad):2: 'zz' is not a hexadecimal address; expected one VA per line, such as 0xffff000012345000")) {
            try ReplayTrace(contentsOfFile: bad)
        }
        #expect(throws: TLBModelError("--trace: /nonexistent/x cannot be read as UTF-8 text")) { try ReplayTrace(contentsOfFile: "/nonexistent/x") }
    }

    @Test func workingSet() {
        let space = AddressSpace(ranges: [(0x10000, 0x20000)])
        #expect(throws: TLBModelError("--working-set: 131072 bytes must be positive and fit in one memory bank (at most 64K)")) {
            try HotSetTrace(space: space, bytes: 0x20000, seed: 0)
        }
    }

    @Test func derivedMetrics() {
        var m = TLBMetrics()
        m.tlbAccesses = 8000
        m.refills = [30, 12]
        m.dtlbWalk = 12
        m.walksByDepth = [0, 2, 4, 6]
        m.faults = 1
        #expect(m.l1dTLBRefill == 30 && m.l2dTLBRefill == 12)
        #expect(m.walkRefs == 2 * 2 + 4 * 3 + 6 * 4)
        #expect(m.walksPer1kAccesses == 1.5)
    }
}
