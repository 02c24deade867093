import BenchHarness
import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers
import Testing

/// The hotplug scenario: hot-add a bank right above RAM, churn vmalloc areas backed by its
/// pages, hot-remove it, on the v6.18 or v7.1 rules.
@Suite struct HotplugScenarioTests {
    private func run(_ options: (String, String)...) throws -> RunResult {
        try ScenarioRunner.run(try RunSpec.parse([("scenario", "hotplug"), ("memory", "4G")] + options))
    }

    @Test func theRowIsTheDirectCallsCounts() throws {
        let r = try run(("kernel", "v7.1"), ("tlbi-range", "off"), ("requests", "3"), ("request-pages", "1-4"))
        #expect(r.errors == 0 && r.requestsIssued == 3)

        // The same calls made directly, from the same booted map.
        let layout = try MachineLayout.builtin("single", memory: 4 << 30)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).boot(into: pt)
        var context = KernelContext()
        (context.hotplug, context.leafSplit, context.presentInvalid) = (.v7_1, .f12b435de2f2, true)
        let hot = MemoryHotplug(pt: pt, layout: layout, context: context)
        try hot.populateBootMemmap()
        let start = pt.counters, tables = pt.allocator.pagesAllocated
        let bank = try MemoryHotplug.hotBank(above: layout, bytes: 1 << 30)
        try hot.addMemory(bank)
        let perms = Permissions(pt: pt, context: context, vmalloc: VmallocSpace(linearOffset: layout.linearOffset))
        for backing in hot.backings(in: bank, count: 3, size: .uniform(pages: 1...4), seed: 1) {
            let area = try perms.vmalloc(backing: backing)
            try perms.setMemoryRO(area.addr, pages: area.pages)
            try perms.vfree(area.addr)
        }
        let removed = hot.removeMemory(bank)
        #expect(r.counters == pt.counters.since(start))
        #expect(r.pagesAllocated == pt.allocator.pagesAllocated - tables && r.pagesFreed == pt.allocator.pagesFreed)
        // The churn split the 1 GiB leaf, so no memory block's edge is inside one.
        #expect(removed && r.hotplugRefusals == 0 && r.pagesFreed > 0 && r.counters.tlbiPageAllLevels == r.pagesFreed)
    }

    @Test func refusalsAndTableFlushesReachTheRow() throws {
        let refused = try run(("variant", "v7.1"), ("requests", "0"))
        let fields = Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name), CSVSchema.fields(refused)))
        #expect(fields["hotplug_refused"] == "1" && fields["pt_pages_free"] == "0" && fields["hotplug_bytes"] == "1073741824")
        #expect(fields["hotplug_remove_bytes"] == "all" && fields["variant"] == "v7.1")
        let pte = try run(("variant", "v7.1"), ("requests", "0"), ("mode", "pte"))
        let pteFields = Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name), CSVSchema.fields(pte)))
        // 512 PTE tables and their PMD table: allocated by the add, freed by the remove.
        #expect(pteFields["hotplug_refused"] == "0" && pteFields["pt_pages_free"] == "513" && pteFields["tlbi_pgtable"] == "513")
        #expect(pte.pagesAllocated == 513)
    }

    @Test func badHotplugOptionsAreOneLineErrorsNamingTheOption() {
        for (option, value) in [("hotplug-bytes", "100M"), ("hotplug-bytes", "0"), ("hotplug-remove", "64M"), ("variant", "v7.0")] {
            #expect(throws: RunError.self) { try RunSpec.parse([("scenario", "hotplug"), (option, value)]) }
            #expect { try RunSpec.parse([("scenario", "hotplug"), (option, value)]) } throws: {
                ($0 as? RunError)?.description.hasPrefix("--\(option): ") == true
            }
        }
        #expect { try RunSpec.parse([("scenario", "hotplug"), ("hotplug-bytes", "512M"), ("hotplug-remove", "1G")]) } throws: {
            ($0 as? RunError)?.description.hasPrefix("--hotplug-remove: ") == true
        }
        // Only a bank that leaves the 128 TiB linear map is refused, before anything runs.
        #expect { try ScenarioRunner.prepare(try RunSpec.parse([("scenario", "hotplug"), ("memory", "128T")])) } throws: {
            ($0 as? RunError)?.description.hasPrefix("--hotplug-bytes: ") == true
        }
    }

    @Test func aBankUnderARootEntryOfItsOwnRuns() throws {
        func run(memory: String) throws -> RunResult {
            try ScenarioRunner.run(try RunSpec.parse([("scenario", "hotplug"), ("memory", memory), ("variant", "v6.18"),
                                                      ("requests", "0"), ("tlbi-range", "off"), ("repeat-tlbi", "off")]))
        }
        // 512G: the bank starts a new root entry, its memmap a new PUD entry; 511G: neither.
        let above = try run(memory: "512G"), below = try run(memory: "511G")
        #expect(above.errors == 0 && below.errors == 0 && above.hotplugRefusals == 0)
        let d = above.counters.since(below.counters)
        // set_swapper_pgd on add and on remove: FIX_PGD map (emit) and unmap (a one-page
        // flush), two PTE stores and a bare root store each. The PUD table's zeroing
        // dsb ishst. The memmap's PMD table: set_pud (emit); its clear (no barrier). Two
        // __flush_tlb_kernel_pgtable: the PMD and PUD tables freed.
        #expect(d.pgdWritten == 2 && d.pteWritten == 4 && d.pudWritten == 2 && d.pmdWritten == 0)
        #expect(d.dsbIshst == 3 + 1 + 2 + 2 && d.isb == 3 + 2 + 2 && d.dsbIsh == 2 + 2)
        #expect(d.tlbiPage == 2 && d.tlbiPageAllLevels == 2 && d.tlbiRange == 0 && d.tlbiAll == 0)
        #expect(above.pagesAllocated - below.pagesAllocated == 2 && above.pagesFreed - below.pagesFreed == 2)
    }
}
