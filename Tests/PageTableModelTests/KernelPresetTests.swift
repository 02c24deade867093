import Testing
import BenchHarness
import LinearMap
import PageTableModel
import SplitWalkers

/// Each --kernel preset on a block-capable and a PTE-only machine: map_mem's counts on a
/// small layout, derived from the kernel code of the preset's create path (ExpectedMap),
/// and spec §7's one-page split where the version has W1.
@Suite struct KernelPresetTests {
    static let machines = ["ampereone", "n1"]

    func run(_ kernel: String, _ cpu: String, _ extra: [(String, String)] = []) throws -> RunResult {
        try ScenarioRunner.run(RunSpec.parse([("scenario", "boot"), ("kernel", kernel), ("cpu", cpu), ("memory", "4G"),
                                              ("boot", "map-mem")] + extra))
    }

    @Test(arguments: KernelVersion.names, machines)
    func mapMemCountsOfEachPreset(kernel: String, cpu: String) throws {
        let version = try #require(KernelVersion.named(kernel))
        // Blocks need the v6.18 split code and a boot CPU on the allowlist (AmpereOne from v6.18).
        let mode: MappingMode = version.linearMapSplit && cpu == "ampereone" ? .block : .pte
        let path: CreatePath = kernel == "v6.9" ? .base : .noAllocRemap
        let r = try run(kernel, cpu)
        #expect(r.spec.values["mode"] == mode.rawValue && r.spec.values["create-path"] == path.rawValue)
        // From v7.2 map_mem overlays the alias first (MapMemOverlayTests derive those maps).
        let overlay = version.index >= KernelVersion.named("v7.2")!.index
        let variant: MapMemVariant = overlay ? (kernel == "v7.2" ? .overlay : .overlayUnmap) : .classic
        #expect(r.spec.values["map-mem"] == variant.rawValue)
        guard !overlay else {
            // The overlay's maps are derived in MapMemOverlayTests; the preset runs that builder.
            let layout = try MachineLayout.builtin("single", memory: 4 << 30)
            let pt = try PageTable()
            let flush = TLBFlush(rangeSupport: cpu == "ampereone", repeatTLBI: cpu == "n1" ? .perSync : .off)
            try LinearMapBuilder(layout: layout, mode: mode, variant: variant, flush: flush).boot(into: pt, through: .mapMem)
            #expect(r.counters == pt.counters && r.histogram == pt.leafHistogram() && r.tableBytes == pt.allocator.tableBytes)
            return
        }
        let expected = ExpectedMap(try .builtin("single", memory: 4 << 30), mode)
        let c = expected.counts(path)
        // Each fixmap unmap flushes one page; N1 repeats the TLBI from v7.2 (cfd391e74134),
        // once per completion (per-sync: one more TLBI and dsb ish).
        let repeats = cpu == "n1" && version.index >= KernelVersion.named("v7.2")!.index ? 2 : 1
        #expect(r.counters.dsbIshst == c.dsbIshst && r.counters.isb == c.isb, "\(kernel) \(cpu)")
        #expect(r.counters.tlbi == c.tlbi * repeats && r.counters.dsbIsh == c.dsbIsh * repeats, "\(kernel) \(cpu)")
        #expect(r.histogram == expected.histogram)
        #expect(r.tableBytes == expected.tableCount * 4096)
        // The presets resolve the 4 GiB figures where they apply.
        if mode == .pte && path == .noAllocRemap && repeats == 1 {
            #expect([r.counters.dsbIshst, r.counters.dsbIsh, r.counters.isb, r.counters.tlbi] == [8_177, 2_043, 6_139, 2_043])
        }
    }

    /// Spec §7: one page in the middle of a 1 GiB block, W1 in lazy mode: 2 table pages,
    /// 3 dsb ishst, 1 isb, no TLBI; a version without W1 leaves the block alone.
    @Test(arguments: KernelVersion.names)
    func spec7OnePageSplit(kernel: String) throws {
        let spec = try RunSpec.parse([("scenario", "perm"), ("kernel", kernel), ("cpu", "ampereone"), ("memory", "4G")])
        let version = try #require(KernelVersion.named(kernel))
        let pt = try PageTable(nesting: spec.context.nesting)
        let layout = try MachineLayout.builtin("single", memory: 4 << 30)
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        pt.counters = Counters()
        let va = LinearMapRange.start + 2 << 30 + 0x123_4000
        let before = pt.allocator.pagesAllocated
        try LeafWalker(options: WalkerOptions(context: spec.context)).split(pt, from: va, to: va + 4096)
        let tables = pt.allocator.pagesAllocated - before
        if version.linearMapSplit {
            #expect(spec.context.lazyMMU && spec.context.bbml2)
            #expect(tables == 2 && pt.counters.dsbIshst == 3 && pt.counters.isb == 1 && pt.counters.tlbi == 0, "\(kernel)")
        } else {
            #expect(tables == 0 && pt.counters.dsbIshst == 0 && pt.counters.tlbi == 0, "\(kernel)")
        }
    }

    /// A version that has no code for a scenario refuses it in one line naming itself.
    @Test(arguments: ["v6.9", "v6.10", "v6.16"], ["repaint", "kfence", "mosaic"])
    func scenariosBeforeTheSplitCodeAreRefused(kernel: String, scenario: String) {
        #expect(throws: RunError.self) { try RunSpec.parse([("scenario", scenario), ("kernel", kernel)]) }
        do { _ = try RunSpec.parse([("scenario", scenario), ("kernel", kernel)]) } catch {
            #expect(error.description.hasPrefix("--kernel: \(kernel) "))
            #expect(!error.description.contains("\n"))
        }
    }

    /// Options override the preset and the row says which.
    @Test func overridesAreRecorded() throws {
        let plain = try RunSpec.parse([("scenario", "perm"), ("kernel", "v7.0"), ("cpu", "grace")])
        #expect(plain.presetOverrides.isEmpty)
        #expect(plain.values["bbml2"] == "none" && plain.values["mode"] == "pte" && plain.values["tlbi-range"] == "on")
        let overridden = try RunSpec.parse([("scenario", "perm"), ("kernel", "v7.0"), ("cpu", "grace"), ("mode", "block"), ("lazy", "on")])
        #expect(overridden.presetOverrides == ["mode"])
        #expect(try RunSpec.parse(row: ["scenario": "perm", "kernel": "v7.0", "cpu": "grace", "bbml2": "none", "mode": "block"])
            .presetOverrides == ["mode"])
    }

    /// The machine decides whether the repaint runs: only a boot CPU with BBML2_NOABORT
    /// and a secondary without it.
    @Test(arguments: [("ampereone", "all", false), ("ampereone+n1", "boot-only", true), ("grace", "none", false)])
    func repaintRunsOnlyOnAMixedSystem(cpu: String, bbml2: String, runs: Bool) throws {
        let r = try ScenarioRunner.run(RunSpec.parse([("scenario", "repaint"), ("cpu", cpu), ("memory", "2G")]))
        #expect(r.spec.values["bbml2"] == bbml2 && r.spec.repaintRuns == runs)
        #expect((r.pagesAllocated > 0) == runs && (r.counters.tlbi > 0) == runs)
        #expect(r.spec.walkerLabel == (runs ? "pagewalk" : "none"))
    }
}
