import BenchHarness
import Testing

func spec(_ pairs: [(String, String)]) throws -> RunSpec { try RunSpec.parse(pairs) }

@Suite struct HarnessTests {
    @Test func sweepProductOrderAndShardSlices() throws {
        let (all, options) = try Sweep.product([("scenario", ["perm"]), ("walker", ["leaf", "range"]), ("lazy", ["on", "off"])])
        #expect(options.map { $0.map(\.1).joined(separator: " ") } == ["perm leaf on", "perm leaf off", "perm range on", "perm range off"])
        #expect(all.map { "\($0.walkerLabel)-\($0.values["lazy"]!)" } == ["leaf-on", "leaf-off", "range-on", "range-off"])
        let slices = (1...3).flatMap { Array(Sweep.shard(all, k: $0, n: 3)) }
        #expect(slices.map(\.values.texts) == all.map(\.values.texts))
        #expect(Sweep.shard(all, k: 1, n: 8).isEmpty)
    }

    @Test func sweepListItemsSplitOnUnescapedCommas() {
        #expect(Sweep.listItems("a,b") == ["a", "b"])
        #expect(Sweep.listItems("a\\,b,c") == ["a,b", "c"])
        #expect(Sweep.listItems("x,") == ["x", ""])
        #expect(Sweep.listItems("end\\") == ["end\\"])
    }

    @Test func repaintReportsItsWalkAndPTEResult() throws {
        let r = try ScenarioRunner.run(spec([("scenario", "repaint"), ("memory", "2G"), ("map-mem", "classic")]))
        // Everything but the kernel alias's whole 2 MiB blocks ends up as plain PTEs.
        #expect(r.histogram.pud == 0 && r.histogram.pmdCont == 0 && r.histogram.pteCont == 0)
        #expect(r.counters.tlbiAll == 1 && r.errors == 0)
        #expect(r.spec.walkerLabel == "pagewalk")
    }

    @Test func failAfterReportsTheErrorAndKeepsTheMapSound() throws {
        var s = try spec([("scenario", "repaint"), ("memory", "2G"), ("fail-after", "10")])
        s.verify = true
        let r = try ScenarioRunner.run(s)
        #expect(r.errors == 1 && r.pagesAllocated == 10)
    }

    @Test func requestPagesForms() {
        #expect(RequestPagesSpec(text: "4")?.high == 4)
        #expect(RequestPagesSpec(text: "2-8")?.low == 2)
        #expect(RequestPagesSpec(text: "pow2:9")?.high == 512)
        #expect(RequestPagesSpec(text: "5-5")?.text == "5")
        for bad in ["0", "8-2", "pow2:x", "a", "1-", "-3", "1-2-3", "99999999999999999999"] { #expect(RequestPagesSpec(text: bad) == nil) }
    }

    @Test func defaultSuiteCoversEveryWalkerLazyOnAndOff() {
        let specs = Suite.specs()
        let perm = specs.filter { $0.kind == .perm && $0.values["kernel"] == KernelVersion.latest.name }
        #expect(Set(perm.map { "\($0.walkerLabel)/\($0.values["lazy"]!)" }).count == 8)
        #expect(specs.allSatisfy { $0.values["memory"] == String(256 << 30) })
    }
}
