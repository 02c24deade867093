import BenchHarness
import Testing

@Suite struct HarnessTests {
    private func config(_ pairs: [(String, String)]) throws -> RunConfig {
        var c = RunConfig()
        for (o, v) in pairs { try c.apply(option: o, value: v) }
        return c
    }

    @Test func sweepProductOrderAndShardSlices() throws {
        let all = try Sweep.product(base: config([("scenario", "perm")]), axes: [("walker", ["leaf", "range"]), ("lazy", ["on", "off"])])
        #expect(all.map { "\($0.effectiveWalker)-\($0.lazy)" } == ["leaf-true", "leaf-false", "range-true", "range-false"])
        let slices = (1...3).flatMap { Array(Sweep.shard(all, k: $0, n: 3)) }
        #expect(slices == all)
        #expect(Sweep.shard(all, k: 1, n: 8).isEmpty)
    }

    @Test func repaintReportsItsWalkAndPTEResult() throws {
        let r = try ScenarioRunner.run(config([("scenario", "repaint"), ("memory", "2G")]))
        // Everything but the kernel alias's whole 2 MiB blocks ends up as plain PTEs.
        #expect(r.histogram.pud == 0 && r.histogram.pmdCont == 0 && r.histogram.pteCont == 0)
        #expect(r.counters.tlbiAll == 1 && r.errors == 0)
        #expect(r.config.effectiveWalker == "pagewalk")
    }

    @Test func failAfterReportsTheErrorAndKeepsTheMapSound() throws {
        var c = try config([("scenario", "repaint"), ("memory", "2G"), ("fail-after", "10")])
        c.verify = true
        let r = try ScenarioRunner.run(c)
        #expect(r.errors == 1 && r.pagesAllocated == 10)
    }

    @Test func requestPagesForms() {
        #expect(RequestPagesSpec(text: "4")?.high == 4)
        #expect(RequestPagesSpec(text: "2-8")?.low == 2)
        #expect(RequestPagesSpec(text: "pow2:9")?.high == 512)
        for bad in ["0", "8-2", "pow2:x", "a"] { #expect(RequestPagesSpec(text: bad) == nil) }
    }

    @Test func defaultSuiteCoversEveryWalkerLazyOnAndOff() {
        let configs = Suite.configs()
        let perm = configs.filter { $0.scenario == .perm }
        #expect(Set(perm.map { "\($0.effectiveWalker)/\($0.lazy)" }).count == 8)
        #expect(configs.allSatisfy { $0.memory == 256 << 30 })
    }
}
