import ArgumentParser
import BenchHarness
import Foundation
import Reports

struct PTDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptdump",
        abstract: "Print the simulated linear map in the kernel's ptdump format.",
        discussion: """
            Diffable against /sys/kernel/debug/kernel_page_tables (its Linear Mapping section): \
            the whole [PAGE_OFFSET, PAGE_END) region, each leaf's own bits (RAM \
            MEM/NORMAL-TAGGED, the kernel alias MEM/NORMAL, NG under --kpti on), table \
            descriptors not printed. The map is the one the scenario leaves behind (boot: \
            map_mem's, then, with --boot full, the alias made read-only). With --initial-map \
            FILE --iomem FILE the map starts as imported, and prints back as that file's \
            Linear Mapping section.

            Examples:
              bench ptdump --memory 4G --mode block
              bench ptdump --memory 4G --scenario repaint
              bench ptdump --memory 4G --kpti on
              bench ptdump --layout ampereone-256g --mode pte > sim.txt
              bench ptdump --initial-map ptdump.txt --iomem iomem.txt --scenario perm
            """)

    @OptionGroup(title: "The map to print (the one the scenario leaves)") var map: MapOptions

    func run() throws {
        try Bench.reportingErrors {
            let spec = try RunSpec.parse(map.given)
            let (pt, layout) = try ScenarioRunner.finalMap(spec)
            print(ptdump(pt, layout: layout, presentInvalid: spec.context.presentInvalid), terminator: "")
        }
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw SVG charts from bench CSVs.",
        discussion: """
            Writes into --output (made with its parents if missing) each chart the rows \
            have data for, and prints its path:
              barriers-SCENARIO.svg  dsb ishst, dsb ish and isb
              tlbi-SCENARIO.svg      TLBI instructions
              pt-alloc-SCENARIO.svg  page-table pages allocated
                  (SCENARIO: boot, perm, repaint, kfence, debug-pagealloc)
              pt-bytes.svg  boot: page-table memory against memory size
                            (per mapping mode when there is one size)
              mpki.svg      mosaic: dTLB walks per 1,000 accesses against the
                            split fraction, log axis with a place for 0
            From a churn --series CSV (it may be one of the --input files):
              churn-leaves-VARIANT.svg  bytes mapped per leaf size, stacked, against events
              churn-reach.svg           TLB reach against events, a line per run
              churn-mpki.svg            dTLB walks per 1,000 accesses against events
            A chart whose counts are all zero (say, a scenario's TLBIs) is not written. Every \
            chart is drawn before any file is written, so bad input leaves the old \
            charts as they were, and each file is replaced whole, never half-written.

            Titles name the workload (scenario, memory, requests, variant); the \
            subtitle lists the other parameters every plotted run shared.

            --where COLUMN=VALUE keeps the rows whose COLUMN (see bench schema) \
            equals VALUE; repeated, a row must match all. *_bytes columns take \
            sizes (memory_bytes=256G). A column no row has is an error.

            Runs that would share a bar or a point (two memory sizes, two request \
            counts) are labelled with what differs, so one chart compares them side \
            by side: it joins the bar's category, or the line's name. Use --where to \
            draw one of them alone. A run given twice (say, in two --input files) is \
            drawn once.

            Examples:
              bench plot --input Results/latest.csv --input Results/boot-sweep.csv
              bench plot --input perm.csv --where lazy=on --output plots/perm
              bench plot --input boot.csv --where memory_bytes=256G --title map_mem
            """)

    @Option(parsing: .unconditionalSingleValue, help: "CSV written by bench (repeat to combine several).") var input: [String] = ["Results/runs/latest.csv"]
    @Option(parsing: .unconditional, help: "Folder for the SVG files (created if missing).") var output = "plots"
    @Option(name: .customLong("where"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Keep only rows whose COLUMN equals VALUE (repeatable).", valueName: "COLUMN=VALUE"))
    var conditions: [String] = []
    @Option(parsing: .unconditional, help: "Title for every chart written, instead of the derived one.") var title: String?

    func run() throws {
        try Bench.reportingErrors {
            var rows: [[String: String]] = []
            for path in input { rows += try read(path) }
            let selected: [[String: String]]
            do { selected = try RowFilter.select(rows, try conditions.map(RowFilter.init(parsing:))) } catch {
                throw RunError("--where: \(error)")
            }
            guard !rows.isEmpty else { throw RunError("--input: no rows in \(input.joined(separator: ", ")); use CSVs written by bench") }
            guard !selected.isEmpty else { throw RunError("--where: no rows match \(conditions.joined(separator: " and "))") }
            // --repeat only changes timing, and the charts plot counts.
            let parameters = Parameter.all.map(\.column).filter { $0 != "repeat" }
            let samples = selected.filter { $0[ChurnCharts.marker] != nil }
            let charts: [ReportCharts.Chart]
            do {
                charts = try ReportCharts(parameters: parameters, title: title).charts(selected.filter { $0[ChurnCharts.marker] == nil })
                    + ChurnCharts(title: title).charts(samples)
            } catch {
                throw RunError("--input: \(error)")
            }
            guard !charts.isEmpty else {
                throw RunError("--input: no rows of boot, perm, repaint, kfence, debug-pagealloc or mosaic, nor churn samples, to plot")
            }
            do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                throw RunError("--output: cannot create the folder '\(output)'")
            }
            for chart in charts {
                let path = (output as NSString).appendingPathComponent(chart.file)
                do throws(OutputError) { try OutputFile.write(chart.svg, to: path, option: "--output") } catch { throw RunError(error.description) }
                print(path)
            }
        }
    }

    /// A file's rows; one of another CSV schema is refused rather than misread.
    private func read(_ path: String) throws -> [[String: String]] {
        let rows: [[String: String]]
        do { rows = try CSVTable(contentsOfFile: path).rows } catch { throw RunError("--input: \(error)") }
        if let version = rows.first?["schema_version"], version != String(CSVSchema.version) {
            throw RunError("--input: \(path) is CSV schema \(version); bench plot reads schema \(CSVSchema.version) (re-run bench to regenerate it)")
        }
        return rows
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the CSV columns (name, unit, meaning) as a Markdown table.")

    func run() {
        print("| column | unit | meaning |\n|---|---|---|")
        for c in CSVSchema.columns { print("| `\(c.name)` | \(c.unit) | \(c.meaning) |") }
        print("\nParameters (the same words `run` and `sweep` take), each with its CSV column:\n")
        print("| option | column | accepted | default | scenarios |\n|---|---|---|---|---|")
        for p in Parameter.all {
            let scenarios = Scenario.allCases.filter(p.scenarios.contains)
            let defaults = Set(scenarios.compactMap { p.defaultText(for: $0) }).sorted().joined(separator: " / ")
            print("| `--\(p.name)` | `\(p.column)` | \(escaped(p.form)) | \(defaults.isEmpty ? "none" : escaped(defaults)) | \(scenarios.map(\.rawValue).joined(separator: ", ")) |")
        }
    }
}

private func escaped(_ text: String) -> String { text.replacingOccurrences(of: "|", with: " \\| ") }
