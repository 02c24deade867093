import BenchHarness
import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers
import Testing

/// The perm scenario is the vmalloc-area lifecycle: vmalloc, set_memory_ro or _rox, vfree
/// with VM_FLUSH_RESET_PERMS, for each of `--requests` seeded areas.
@Suite struct PermScenarioTests {
    @Test(arguments: ["ro", "rox"], ["scattered", "contiguous"])
    func permIsTheAreaLifecycle(change: String, placement: String) throws {
        let spec = try RunSpec.parse([("scenario", "perm"), ("memory", "1G"), ("requests", "6"), ("request-pages", "1-8"),
                                      ("placement", placement), ("change", change), ("tlbi-range", "off")])
        let r = try ScenarioRunner.run(spec)
        #expect(r.errors == 0 && r.requestsIssued == 6)

        // The same calls made directly.
        let layout = try MachineLayout.builtin("single", memory: 1 << 30)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        let start = pt.counters
        let perms = Permissions(pt: pt, context: KernelContext(), walker: .leaf, vmalloc: VmallocSpace(linearOffset: layout.linearOffset))
        let areas = Array(try AreaBackings(layout: layout, count: 6, size: .uniform(pages: 1...8),
                                           placement: BackingPlacement(rawValue: placement)!, seed: 1))
        for backing in areas {
            let area = try perms.vmalloc(backing: backing)
            if change == "ro" { try perms.setMemoryRO(area.addr, pages: area.pages) } else { try perms.setMemoryROX(area.addr, pages: area.pages) }
            try perms.vfree(area.addr)
        }
        #expect(r.counters == pt.counters.since(start))

        // Independently, per area of N pages (N < 512): ro flushes each alias page (N
        // TLBIs) and the area (N); x flushes the area again (N); vfree flushes once
        // (flush_tlb_all). W1 runs per alias page, per call over the area, and twice per
        // page in vfree (invalid, then default).
        let pages = areas.map(\.count)
        let x = change == "rox" ? 1 : 0
        #expect(r.counters.tlbi == pages.reduce(0) { $0 + (2 + x) * $1 + 1 })
        #expect(r.counters.tlbiAll == areas.count)
        #expect(r.counters.splitLockAcquisitions == pages.reduce(0) { $0 + 3 * $1 + 1 + x })
        #expect(r.counters.sleepingAllocInAtomic == 0 && r.counters.sleepingLockInAtomic == 0)
        if placement == "contiguous" { #expect(areas.allSatisfy { a in a.indices.allSatisfy { a[$0] == a[0] + UInt64($0) * 4096 } }) }
    }

    @Test func theOldLinearPlacementWordsAreRefused() {
        for word in ["uniform", "clustered"] {
            #expect { try RunSpec.parse([("scenario", "perm"), ("placement", word)]) } throws: {
                ($0 as? RunError)?.description.contains("scattered|contiguous") == true
            }
        }
        #expect { try RunSpec.parse([("scenario", "perm"), ("change", "rw")]) } throws: { $0 is RunError }
    }

    @Test func withoutRodataFullTheAliasesStayAlone() throws {
        let on = try ScenarioRunner.run(try RunSpec.parse([("scenario", "perm"), ("memory", "1G"), ("requests", "4")]))
        let off = try ScenarioRunner.run(try RunSpec.parse([("scenario", "perm"), ("memory", "1G"), ("requests", "4"), ("rodata-full", "off")]))
        // No alias is changed on set_memory_ro and none reset on vfree (can_set_direct_map()
        // still holds through the late kfence pool, so vfree's per-page calls still run).
        #expect(off.counters.splitLockAcquisitions < on.counters.splitLockAcquisitions)
        #expect(off.counters.tlbi < on.counters.tlbi)
    }
}
