import BenchHarness
import LinearMap
import Testing

@Suite struct ResourceGuardTests {
    static let page: UInt64 = 4096, tib: UInt64 = 1 << 40

    /// Full-PTE tables from page counts: a PTE table per 512 pages, a PMD table per 512
    /// of those, a PUD table per 512 GiB, and the root.
    @Test func fullPTEBudgetCountsEveryTable() throws {
        let pages = Self.tib / Self.page
        let single = try MachineLayout.builtin("single", memory: Self.tib)
        #expect(ResourceGuard.tableBytes(single, tables: .fullPTE) == (pages / 512 + pages / (512 * 512) + 2 + 1) * Self.page)
        // numa4: four 1 TiB nodes, 2 TiB apart, each its own two PUD tables.
        let numa = try MachineLayout.builtin("numa4", memory: 4 * Self.tib)
        #expect(ResourceGuard.tableBytes(numa, tables: .fullPTE) == (4 * (pages / 512 + pages / (512 * 512) + 2) + 1) * Self.page)
        // A bank one page past a GiB boundary straddles one more 2 MiB and 1 GiB region at its end.
        let odd = try MachineLayout(name: "odd", banks: [PhysRange(start: (1 << 30) + 4096, size: 2 << 30)],
                                    kernelImage: PhysRange(start: (1 << 30) + (2 << 20), size: MachineLayout.defaultKernelImageSize))
        let oddPages: UInt64 = (2 << 30) / Self.page
        #expect(ResourceGuard.tableBytes(odd, tables: .fullPTE) == ((oddPages / 512 + 1) + (oddPages / (512 * 512) + 1) + 1 + 1) * Self.page)
    }

    private func boot(_ options: [(String, String)]) throws -> RunResult {
        try ScenarioRunner.run(RunSpec.parse([("scenario", "boot")] + options))
    }

    /// Both budgets bound what a boot really allocates (plus the uncounted root), closely.
    @Test(arguments: [["single", "late"], ["single", "early"], ["numa2", "late"], ["ampereone-256g", "late"]])
    func budgetsBoundTheRealMaps(layout: [String]) throws {
        for (mode, budget, slack) in [("block", ResourceGuard.TableBudget.blocks, 12), ("pte", .fullPTE, 40)] {
            let options = [("layout", layout[0]), ("kfence", layout[1]), ("mode", mode)] + (layout[0] == "ampereone-256g" ? [] : [("memory", "8G")])
            let r = try boot(options)
            let bound = try #require(ResourceGuard.tableBytes(ScenarioRunner.machineLayout(RunSpec.parse(options)), tables: budget))
            let real = UInt64(r.tableBytes) + Self.page
            #expect(bound >= real && bound <= real + UInt64(slack) * Self.page, "\(layout) \(mode)")
        }
    }

    @Test func peakAddsAllocatorCalibrationProcessAndExtra() throws {
        let single = try MachineLayout.builtin("single", memory: Self.tib)
        let tables = (Self.tib / Self.page / 512 + 1024 + 2 + 1) * Self.page
        let extra: UInt64 = 5 << 20
        #expect(ResourceGuard.estimatedPeakBytes(single, tables: .fullPTE, extraBytes: extra)
                == tables + tables / 128 + Calibration.maximumBufferBytes + ResourceGuard.processBaseBytes + extra)
        // 1 TiB of PTE tables with everything else fits the 1.10 × tables + 64 MiB target.
        #expect(try #require(ResourceGuard.estimatedPeakBytes(single, tables: .fullPTE, extraBytes: 0)) <= tables + tables / 10 + (64 << 20))
    }

    @Test func overflowIsTooLargeNotATrap() throws {
        let single = try MachineLayout.builtin("single", memory: 1 << 30)
        #expect(ResourceGuard.estimatedPeakBytes(single, tables: .blocks, extraBytes: .max) == nil)
        let error = try #require(throws: RunError.self) { try ResourceGuard.check(single, tables: .blocks, extraBytes: .max) }
        #expect(error.description.hasPrefix("--memory: 1G needs more bytes than 64 bits count; this machine has "))
    }

    @Test func refusalIsOneLineWithTheTerms() throws {
        let single = try MachineLayout.builtin("single", memory: 1 << 30)
        try ResourceGuard.check(single, tables: .fullPTE, extraBytes: 0)
        let available = try #require(ResourceGuard.memAvailable())
        let error = try #require(throws: RunError.self) { try ResourceGuard.check(single, tables: .fullPTE, extraBytes: available) }
        let text = error.description
        #expect(text.hasPrefix("--memory: 1G needs ≈ "))
        #expect(text.contains("(page tables 0.00 GiB + allocator 0.00 GiB + calibration 0.12 GiB + process 0.03 GiB + other "))
        #expect(text.hasSuffix(" available (use a smaller --memory)"))
        #expect(!text.contains("\n"))
    }
}
