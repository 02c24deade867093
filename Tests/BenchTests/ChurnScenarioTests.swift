import BenchHarness
import Foundation
import KernelCallers
import LinearMap
import PageTableModel
import Reports
import Testing

/// The churn scenario: seeded vmalloc-area lifecycles, sampled, on the arm64, collapse and
/// rox-cache variants.
@Suite struct ChurnScenarioTests {
    private func spec(_ options: (String, String)...) throws -> RunSpec {
        try RunSpec.parse([("scenario", "churn"), ("memory", "8G"), ("accesses", "2000")] + options)
    }

    /// Page-table pages implied by the leaves of [start, end): one per distinct 2 MiB range of
    /// PTE leaves, one per distinct 1 GiB range of PMD or PTE leaves, one per 512 GiB range.
    private func impliedTables(_ pt: PageTable, _ start: UInt64, _ end: UInt64) -> Int {
        var pte = Set<UInt64>(), pmd = Set<UInt64>(), pud = Set<UInt64>()
        for leaf in pt.leaves(from: start, to: end) {
            pud.insert(leaf.va >> 39)
            if leaf.level >= .pmd { pmd.insert(leaf.va >> 30) }
            if leaf.level == .pte { pte.insert(leaf.va >> 21) }
        }
        return pte.count + pmd.count + pud.count
    }

    /// The map every churn run starts from.
    private func bootMap() throws -> PageTable {
        try ScenarioRunner.finalMap(try RunSpec.parse([("scenario", "boot"), ("memory", "8G")])).0
    }

    @Test func everyAllocationIsOneSetMemoryCallAndItsTablesAreTheSplitsAndTheAreas() throws {
        // A live-area target far above the events: no free is drawn.
        let s = try spec(("events", "5"), ("sample-every", "2"), ("live-areas", "100000"), ("pack-share", "0"), ("seed", "3"))
        let r = try ScenarioRunner.run(s)
        #expect(r.errors == 0 && r.requestsIssued == 5)
        #expect(r.series.map(\.event) == [0, 2, 4, 5])
        #expect(r.series.map(\.setMemoryCalls) == [0, 2, 4, 5] && r.series.map(\.liveAreas) == [0, 2, 4, 5])
        let (pt, layout) = try ScenarioRunner.finalMap(s)
        let boot = try bootMap()
        // arm64 never frees a table; the boot map has no vmalloc tables.
        let linear = impliedTables(pt, layout.linearStart, layout.linearEnd) - impliedTables(boot, layout.linearStart, layout.linearEnd)
        let vmalloc = impliedTables(pt, VmallocRange.start, VmallocRange.end)
        #expect(r.pagesFreed == 0 && linear > 0)
        #expect(r.pagesAllocated == linear + vmalloc)
        #expect(r.series.last!.pagesAllocated == r.pagesAllocated && r.series.last!.counters == r.counters)
    }

    @Test func collapseRestoresTheBootHistogramAfterTheDrainAndArm64DoesNot() throws {
        let options: [(String, String)] = [("events", "60"), ("sample-every", "20"), ("live-areas", "8"), ("drain", "on"), ("seed", "5")]
        let arm64 = try ScenarioRunner.run(try RunSpec.parse([("scenario", "churn"), ("memory", "8G"), ("accesses", "2000"), ("variant", "arm64")] + options))
        let collapse = try ScenarioRunner.run(try RunSpec.parse([("scenario", "churn"), ("memory", "8G"), ("accesses", "2000"), ("variant", "collapse")] + options))
        let boot = arm64.series[0].histogram
        #expect(collapse.series[0].histogram == boot && collapse.series.last!.liveAreas == 0)
        #expect(collapse.histogram == boot && arm64.histogram != boot)
        #expect(arm64.histogram.pte + arm64.histogram.pteCont > boot.pte + boot.pteCont && arm64.pagesFreed == 0)
        // Every linear-map table a split made is freed again; the vmalloc tables stay. Both
        // runs draw the same events and pages, so the same vmalloc tables: arm64's are what
        // its allocations were beyond the tables its final linear map implies.
        let (pt, layout) = try ScenarioRunner.finalMap(try RunSpec.parse([("scenario", "churn"), ("memory", "8G"), ("accesses", "2000"), ("variant", "arm64")] + options))
        let bootPT = try bootMap()
        let linear = impliedTables(pt, layout.linearStart, layout.linearEnd) - impliedTables(bootPT, layout.linearStart, layout.linearEnd)
        #expect(collapse.pagesFreed > 0 && collapse.pagesAllocated - collapse.pagesFreed == arm64.pagesAllocated - linear)
        #expect(collapse.series.map(\.setMemoryCalls) == arm64.series.map(\.setMemoryCalls))
        // One flush_tlb_all per collapsing free.
        #expect(collapse.counters.tlbiAll > arm64.counters.tlbiAll)
        // A force_pte_mapping kernel keeps its PTEs: nothing collapses.
        let pte = try ScenarioRunner.run(try RunSpec.parse([("scenario", "churn"), ("memory", "8G"), ("accesses", "2000"), ("variant", "collapse"), ("mode", "pte")] + options))
        #expect(pte.pagesFreed == 0 && pte.histogram == pte.series[0].histogram)
    }

    @Test func roxCacheSplitsOneBlockPerCacheBlock() throws {
        let s = try spec(("variant", "rox-cache"), ("events", "40"), ("sample-every", "40"), ("live-areas", "16"),
                         ("pack-share", "0"), ("text-share", "1"), ("seed", "2"))
        let r = try ScenarioRunner.run(s)
        let blocks = r.series.last!.cacheBlocks
        #expect(r.errors == 0 && blocks >= 1 && r.series.last!.setMemoryCalls == blocks)
        let (pt, layout) = try ScenarioRunner.finalMap(s)
        let ptes = pt.leaves(from: layout.linearStart, to: layout.linearEnd).filter { $0.level == .pte }.count
        let bootPTEs = r.series[0].histogram.pte + r.series[0].histogram.pteCont
        // Each block's 512 aliases became PTEs: at most one 2 MiB range per block.
        #expect(ptes - bootPTEs <= 512 * blocks && ptes > bootPTEs)
    }

    @Test func theRowReRunsToItselfAndTheSeriesPlots() throws {
        let s = try spec(("variant", "collapse"), ("events", "30"), ("sample-every", "10"), ("live-areas", "4"))
        let r = try ScenarioRunner.run(s)
        let fields = Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name), CSVSchema.fields(r)))
        #expect(fields["events"] == "30" && fields["variant"] == "collapse" && fields["sample_every"] == "10")
        let again = try ScenarioRunner.run(try RunSpec.parse(row: fields))
        #expect(again.counters == r.counters && again.histogram == r.histogram && again.series == r.series)
        let rows = try CSVTable(parsing: ([ChurnSeries.header] + ChurnSeries.rows([r])).joined(separator: "\n")).rows
        #expect(rows.count == 4 && rows.map { $0["event"]! } == ["0", "10", "20", "30"])
        let files = try ChurnCharts().charts(rows).map(\.file)
        #expect(files == ["churn-leaves-collapse.svg", "churn-reach.svg", "churn-mpki.svg"])
    }

    @Test func seriesWritesOneRowPerSampleAndPlots() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let series = tmp.path("series.csv"), plots = tmp.path("plots")
        let run = try BenchProcess.run(["run", "--scenario", "churn", "--memory", "4G", "--events", "20", "--sample-every", "10",
                                        "--accesses", "1000", "--series", series, "--quiet"])
        #expect(run.status == 0)
        let rows = try CSVTable(contentsOfFile: series).rows
        #expect(rows.map { $0["event"]! } == ["0", "10", "20"] && rows.allSatisfy { $0["variant"] == "arm64" && $0["churn_series_version"] == "1" })
        let plot = try BenchProcess.run(["plot", "--input", series, "--output", plots])
        #expect(plot.status == 0 && plot.stdout.split(separator: "\n").count == 3)
        let refused = try BenchProcess.run(["run", "--scenario", "perm", "--memory", "4G", "--requests", "1", "--series", series])
        #expect(refused.status == 1 && refused.stderr == "bench: --series: only the churn scenario has samples; use it with --scenario churn\n")
        // The samples never replace the run's own CSV, which is left as it was.
        let before = try String(contentsOfFile: series, encoding: .utf8)
        let same = try BenchProcess.run(["run", "--scenario", "churn", "--memory", "4G", "--events", "20", "--accesses", "1000",
                                         "--series", series, "--csv", series, "--quiet"])
        expectOneLineError(same, naming: "--series: '\(series)' is also the --csv file")
        #expect(try String(contentsOfFile: series, encoding: .utf8) == before)
        // A --series that cannot be written is refused before the run, so the --csv given
        // beside it keeps what it had.
        let csv = try tmp.file("precious\n", "kept.csv"), folder = tmp.folder
        let bad = try BenchProcess.run(["run", "--scenario", "churn", "--memory", "4G", "--events", "5", "--accesses", "1000",
                                        "--series", folder, "--csv", csv, "--quiet"])
        expectOneLineError(bad, naming: "--series: '\(folder)' is a folder")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "precious\n")
        #expect(!FileManager.default.fileExists(atPath: csv + ".partial"))
        // Nor may either be the other's working file, whichever way round.
        for (seriesPath, csvPath) in [(csv + ".partial", csv), (csv, csv + ".partial")] {
            let shared = try BenchProcess.run(["run", "--scenario", "churn", "--memory", "4G", "--events", "5", "--accesses", "1000",
                                               "--series", seriesPath, "--csv", csvPath, "--quiet"])
            expectOneLineError(shared, naming: "--series: '\(seriesPath)' and the --csv file '\(csvPath)' would share a working file")
            #expect(try String(contentsOfFile: csv, encoding: .utf8) == "precious\n")
            #expect(!FileManager.default.fileExists(atPath: csv + ".partial"))
        }
    }

    @Test func badChurnOptionsAreOneLineErrorsNamingTheOption() {
        for (option, value) in [("variant", "x86"), ("events", "0"), ("sample-every", "-1"), ("pack-share", "2"), ("drain", "maybe")] {
            #expect { try RunSpec.parse([("scenario", "churn"), (option, value)]) } throws: {
                ($0 as? RunError)?.description.hasPrefix("--\(option): ") == true
            }
        }
        #expect(throws: RunError.self) { try RunSpec.parse([("scenario", "perm"), ("events", "10")]) }
    }
}
