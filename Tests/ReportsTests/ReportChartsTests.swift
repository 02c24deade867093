import Foundation
import Reports
import Testing

/// Rows shaped like bench's CSV: a run's parameters, then what it counted.
struct Rows {
    /// bench's parameter columns, in their CSV order (a subset is enough for the charts).
    static let parameters = ["scenario", "layout", "memory_bytes", "mode", "walker", "variant", "lazy", "create_path",
                             "requests", "split_fraction_requested", "seed"]
    static let gib16 = String(16 << 30)

    static func run(_ scenario: String, _ values: [String: String], counts: [String: Double] = [:]) -> [String: String] {
        var row = Dictionary(uniqueKeysWithValues: parameters.map { ($0, "") })
        row["scenario"] = scenario
        row["layout"] = "single"
        row["memory_bytes"] = gib16
        for (k, v) in values { row[k] = v }
        for column in ["dsb_ishst", "dsb_ish", "isb", "tlbi", "pt_pages_alloc", "pt_bytes", "walks_per_1k_accesses"] {
            row[column] = String(counts[column] ?? 0)
        }
        return row
    }

    /// The 16 GiB suite's perm storm: the leaf walker has versions, the range walker none.
    static let perm: [[String: String]] = [
        run("perm", ["walker": "leaf", "lazy": "on", "mode": "block", "variant": "v6.18", "requests": "10000", "seed": "1"],
            counts: ["dsb_ishst": 55_596, "dsb_ish": 20_000, "isb": 49_792, "tlbi": 168_104, "pt_pages_alloc": 5_804]),
        run("perm", ["walker": "leaf", "lazy": "off", "mode": "block", "variant": "v6.18", "requests": "10000", "seed": "1"],
            counts: ["dsb_ishst": 3_406_240, "dsb_ish": 20_000, "isb": 3_400_436, "tlbi": 168_104, "pt_pages_alloc": 5_804]),
        run("perm", ["walker": "range", "lazy": "on", "mode": "block", "requests": "10000", "seed": "1"],
            counts: ["dsb_ishst": 55_596, "dsb_ish": 20_000, "isb": 49_792, "tlbi": 168_104, "pt_pages_alloc": 5_804]),
        run("perm", ["walker": "range", "lazy": "off", "mode": "block", "requests": "10000", "seed": "1"],
            counts: ["dsb_ishst": 3_406_240, "dsb_ish": 20_000, "isb": 3_400_436, "tlbi": 168_104, "pt_pages_alloc": 5_804]),
    ]

    static func boot(_ mode: String, _ path: String = "no-alloc-remap", gib: Int = 16) -> [String: String] {
        let pte = mode == "pte"
        return run("boot", ["walker": "create", "mode": mode, "create_path": path, "memory_bytes": String(gib << 30)],
                   counts: ["dsb_ishst": pte ? Double(gib * 1536) : 534, "isb": pte ? Double(gib * 1024) : 531,
                            "pt_pages_alloc": pte ? Double(gib * 512) : 3, "pt_bytes": pte ? Double(gib * 2_097_152) : 12_288])
    }

    static func mosaic(_ mode: String, _ fraction: String, walks: Double) -> [String: String] {
        run("mosaic", ["walker": "leaf", "lazy": "on", "mode": mode, "variant": "v6.18", "seed": "1", "split_fraction_requested": fraction],
            counts: ["walks_per_1k_accesses": walks])
    }
}

@Suite struct ReportChartsTests {
    let charts = ReportCharts(parameters: Rows.parameters)

    func chart(_ file: String, _ rows: [[String: String]], title: String? = nil) throws -> SVGElements {
        let all = try ReportCharts(parameters: Rows.parameters, title: title).charts(rows)
        return try SVGElements(try #require(all.first { $0.file == file }).svg)
    }

    @Test func titleNamesTheWorkloadAndTheSubtitleWhatEveryRunShared() throws {
        let svg = try chart("barriers-perm.svg", Rows.perm)
        #expect(svg.texts("title") == ["Barriers per split walker — perm, 16 GiB, 10,000 requests"])
        // Walker and lazy are on the axis; the variant, which only the leaf walker has, by its walker.
        #expect(svg.texts("subtitle") == ["single · block mapping · seed 1"])
        #expect(svg.texts("tick x outer") == ["leaf (v6.18)", "range"])
        #expect(svg.texts("tick x") == ["lazy on", "lazy off", "lazy on", "lazy off"])
        #expect(svg.texts("legend-entry") == ["dsb ishst", "dsb ish", "isb"])
        #expect(svg.texts("bar-value").prefix(6) == ["55,596", "20,000", "49,792", "3,406,240", "20,000", "3,400,436"])
        #expect(svg.texts("axis-label x") == ["split walker · lazy MMU"])
    }

    @Test func oneMetricChartsPutTheSecondParameterInTheLegend() throws {
        let tlbi = try chart("tlbi-perm.svg", Rows.perm)
        #expect(tlbi.texts("title") == ["TLBIs per split walker — perm, 16 GiB, 10,000 requests"])
        #expect(tlbi.texts("tick x") == ["leaf (v6.18)", "range"])
        #expect(tlbi.texts("legend-entry") == ["lazy on", "lazy off"])
        #expect(tlbi.texts("bar-value") == Array(repeating: "168,104", count: 4))
        let alloc = try chart("pt-alloc-perm.svg", Rows.perm)
        #expect(alloc.texts("axis-label y") == ["page-table pages allocated"])
        #expect(alloc.texts("bar-value") == Array(repeating: "5,804", count: 4))
    }

    @Test func aFixedSecondParameterMovesToTheSubtitle() throws {
        let svg = try chart("barriers-perm.svg", Rows.perm.filter { $0["lazy"] == "on" })
        #expect(svg.texts("subtitle") == ["single · block mapping · lazy on · seed 1"])
        #expect(svg.texts("tick x") == ["leaf (v6.18)", "range"] && svg.count("tick x outer") == 0)
    }

    @Test func titleOverride() throws {
        let svg = try chart("tlbi-perm.svg", Rows.perm, title: "W1 vs W2")
        #expect(svg.texts("title") == ["W1 vs W2"] && svg.texts("subtitle") == ["single · block mapping · seed 1"])
    }

    @Test func runsThatDifferInMemoryAreLabelledNotRefused() throws {
        let bigger = Rows.perm.map { row in row.merging(["memory_bytes": String(64 << 30)]) { $1 } }
        let svg = try chart("tlbi-perm.svg", Rows.perm + bigger)
        // Memory is no longer common to all runs: out of the title, onto the bars.
        #expect(svg.texts("title") == ["TLBIs per split walker — perm, 10,000 requests"])
        #expect(svg.texts("tick x") == ["16 GiB", "64 GiB", "16 GiB", "64 GiB"])
        #expect(svg.texts("tick x outer") == ["leaf (v6.18)", "range"])
        #expect(svg.count("bar") == 8)
    }

    @Test func crowdedCategoriesDropTheNamesTheAxisTitleGives() throws {
        var rows: [[String: String]] = []
        for walker in ["leaf", "range", "create-path", "pagewalk"] {
            for lazy in ["on", "off"] {
                for requests in ["100", "1000"] {
                    rows.append(Rows.run("perm", ["walker": walker, "lazy": lazy, "requests": requests], counts: ["isb": 1]))
                }
            }
        }
        let svg = try chart("barriers-perm.svg", rows)
        #expect(svg.texts("axis-label x") == ["split walker · lazy MMU · requests"])
        #expect(svg.texts("tick x").prefix(8) == ["on", "100", "on", "1,000", "off", "100", "off", "1,000"])
        #expect(svg.texts("tick x outer") == ["leaf", "range", "create-path", "pagewalk"])
    }

    @Test func theSameRunTwiceIsDrawnOnce() throws {
        let svg = try chart("barriers-perm.svg", Rows.perm + Rows.perm)
        #expect(svg.count("bar") == 3 * Rows.perm.count)
    }

    @Test func bootBarriersNestThePolicyUnderTheModeAndSkipZeroCharts() throws {
        let rows = [Rows.boot("block"), Rows.boot("pte"), Rows.boot("pte", "base")]
        let files = try charts.charts(rows).map(\.file)
        // Boot issues no TLBIs: no chart of zeros.
        #expect(files == ["barriers-boot.svg", "pt-alloc-boot.svg", "pt-bytes.svg"])
        let svg = try chart("barriers-boot.svg", rows)
        #expect(svg.texts("title") == ["Barriers per mapping mode — boot, 16 GiB"])
        #expect(svg.texts("tick x outer") == ["block", "pte"])
        #expect(svg.texts("tick x") == ["no-alloc-remap", "no-alloc-remap", "base"])
        #expect(svg.texts("bar-value") == ["534", "0", "531", "24,576", "0", "16,384", "24,576", "0", "16,384"])
    }

    @Test func tableBytesAreBarsForOneMemorySizeAndALineForSeveral() throws {
        let one = try chart("pt-bytes.svg", [Rows.boot("block"), Rows.boot("pte"), Rows.boot("pte", "base")])
        // The barrier policy does not change the tables: pte once.
        #expect(one.texts("bar-value") == ["12 KiB", "32 MiB"] && one.count("point") == 0)
        #expect(one.texts("title") == ["Linear-map page tables per mapping mode — boot, 16 GiB"])
        let sweep = [16, 64, 256, 1024].flatMap { [Rows.boot("block", gib: $0), Rows.boot("pte", gib: $0)] }
        let lines = try chart("pt-bytes.svg", sweep)
        #expect(lines.count("point") == 8 && lines.texts("legend-entry") == ["block mapping", "pte mapping"])
        #expect(lines.texts("tick x") == ["16 GiB", "32 GiB", "64 GiB", "128 GiB", "256 GiB", "512 GiB", "1 TiB"])
        #expect(lines.texts("title") == ["Linear-map page tables vs memory — boot"])
        #expect(lines.texts("subtitle") == ["single · walker create · no-alloc-remap create path"])
    }

    @Test func mosaicWalksAgainstALogSplitFractionWithZero() throws {
        let rows = zip(["0", "0.01", "0.1", "0.5", "1"], [0.0655, 48.1, 541.2, 711.1, 792.7]).map { Rows.mosaic("block", $0, walks: $1) }
            + ["0", "1"].map { Rows.mosaic("pte", $0, walks: 792.6) }
        let svg = try chart("mpki.svg", rows)
        #expect(svg.texts("tick x") == ["0 %", "1 %", "2 %", "5 %", "10 %", "20 %", "50 %", "100 %"])
        #expect(svg.texts("title") == ["dTLB walks vs split fraction — mosaic, 16 GiB, v6.18"])
        #expect(svg.texts("subtitle") == ["single · walker leaf · lazy on · seed 1"])
        #expect(svg.count("point") == 7 && svg.texts("legend-entry") == ["block mapping", "pte mapping"])
    }

    @Test func aCountThatIsNotANumberNamesTheRunAndColumn() {
        var rows = Rows.perm
        rows[1]["isb"] = "many"
        #expect(throws: ChartError("perm run 2: isb is 'many', not a number")) { try charts.charts(rows) }
    }
}

@Suite struct RowFilterTests {
    @Test func parsesColumnEqualsValue() throws {
        #expect(try RowFilter(parsing: "lazy=on") == RowFilter(parsing: "lazy=on"))
        let f = try RowFilter(parsing: "ops=a=b.csv")
        #expect(f.column == "ops" && f.value == "a=b.csv")
        #expect(throws: RowFilter.Problem(description: "'lazy' is not COLUMN=VALUE, e.g. scenario=perm or memory_bytes=256G")) {
            try RowFilter(parsing: "lazy")
        }
        #expect(throws: RowFilter.Problem(description: "'=on' is not COLUMN=VALUE, e.g. scenario=perm or memory_bytes=256G")) {
            try RowFilter(parsing: "=on")
        }
    }

    @Test func everyFilterMustMatch() throws {
        let rows = Rows.perm
        let leafOn = try RowFilter.select(rows, [RowFilter(parsing: "walker=leaf"), RowFilter(parsing: "lazy=on")])
        #expect(leafOn.map { $0["isb"] } == ["49792.0"])
        #expect(try RowFilter.select(rows, []).count == 4)
        #expect(try RowFilter.select(rows, [RowFilter(parsing: "lazy=maybe")]).isEmpty)
    }

    @Test func sizesAndNumbersMatchByValue() throws {
        let rows = Rows.perm + [Rows.boot("pte", gib: 256)]
        #expect(try RowFilter.select(rows, [RowFilter(parsing: "memory_bytes=256G")]).map { $0["scenario"] } == ["boot"])
        #expect(try RowFilter.select(rows, [RowFilter(parsing: "memory_bytes=16GiB")]).count == 4)
        #expect(try RowFilter.select(rows, [RowFilter(parsing: "requests=1e4")]).count == 4)
        // Only *_bytes columns read sizes.
        #expect(try RowFilter.select(rows, [RowFilter(parsing: "requests=10K")]).isEmpty)
    }

    @Test func anUnknownColumnIsAnError() {
        #expect(throws: RowFilter.Problem(description: "no column 'lazzy' in the CSV (see bench schema); expected COLUMN=VALUE")) {
            try RowFilter.select(Rows.perm, [RowFilter(parsing: "lazy=on"), RowFilter(parsing: "lazzy=on")])
        }
    }
}

@Suite struct ChurnChartsTests {
    static func sample(_ variant: String, seed: String, event: Int) -> [String: String] {
        [ChurnCharts.marker: "1", "variant": variant, "seed": seed, "memory_bytes": String(4 << 30), "mode": "pte", "kernel": "",
         "event": String(event), "leaf_pte": "10", "leaf_pte_cont": "2", "leaf_pmd": "1", "leaf_pmd_cont": "0",
         "tlb_reach_entries": "13", "walks_per_1k_accesses": ""]
    }

    /// A leaves chart per variant, in the order they first appear; a run is named by its
    /// variant and the run columns that vary (the seed), the subtitle lists the ones all
    /// rows share with a value (not the empty kernel, nor cpu, which no row has).
    @Test func runsAreNamedByWhatVariesAndTheSubtitleIsWhatTheyShare() throws {
        let rows = [Self.sample("collapse", seed: "1", event: 0), Self.sample("arm64", seed: "1", event: 0),
                    Self.sample("collapse", seed: "2", event: 0), Self.sample("collapse", seed: "1", event: 10)]
        let charts = try ChurnCharts().charts(rows)
        #expect(charts.map(\.file) == ["churn-leaves-collapse.svg", "churn-leaves-arm64.svg", "churn-reach.svg"])
        let reach = charts[2].svg
        #expect(reach.contains(">memory \(4 << 30), mapping mode pte</text>"))
        for run in ["collapse, seed 1", "arm64, seed 1", "collapse, seed 2"] { #expect(reach.contains(">\(run)</text>"), "\(run)") }
        #expect(charts[0].svg.contains(">collapse, seed 2: + CONT PTE</text>") && !charts[0].svg.contains("arm64"))
    }
}
