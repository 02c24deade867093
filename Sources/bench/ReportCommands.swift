import ArgumentParser
import BenchHarness
import Foundation
import Reports

struct PTDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptdump",
        abstract: "Print the simulated linear map in the kernel's ptdump format.",
        discussion: """
            Diffable against /sys/kernel/debug/kernel_page_tables (its Linear Mapping section):
            the whole [PAGE_OFFSET, PAGE_END) region, each leaf's own bits (RAM
            MEM/NORMAL-TAGGED, the kernel alias MEM/NORMAL, NG under --kpti on), table
            descriptors not printed. The map is the one the scenario leaves behind (boot:
            map_mem's).

            Examples:
              bench ptdump --memory 4G --mode block
              bench ptdump --memory 4G --scenario repaint
              bench ptdump --memory 4G --kpti on
              bench ptdump --layout ampereone-256g --mode pte > sim.txt
            """)

    @OptionGroup(title: "The map to print (the one the scenario leaves)") var map: MapOptions

    func run() throws {
        try Bench.reportingErrors {
            let (pt, layout) = try ScenarioRunner.finalMap(try RunSpec.parse(map.given))
            print(ptdump(pt, layout: layout), terminator: "")
        }
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw SVG charts from a bench CSV.",
        discussion: """
            Writes barriers-repaint.svg and barriers-perm.svg (barriers per walker, lazy on/off),
            pt-bytes.svg (boot page-table bytes against memory size, batched create path) and
            mpki.svg (mosaic walks_per_1k_accesses against split fraction), each only when the CSVs have
            rows for it.

            Example: bench plot --input Results/latest.csv --output Results
            """)

    @Option(help: "CSV written by bench (repeat to combine several).") var input: [String] = ["Results/latest.csv"]
    @Option(help: "Directory for the SVG files.") var output = "Results"

    func run() throws {
        try Bench.reportingErrors {
            var rows: [[String: String]] = []
            for path in input {
                do { rows += try CSVTable(contentsOfFile: path).rows } catch { throw RunError("--input: \(path): \(error)") }
            }
            typealias Draw = ([[String: String]]) throws(ChartError) -> String
            let plots: [(file: String, keep: ([String: String]) -> Bool, draw: Draw)] = [
                ("barriers-repaint.svg", { $0["scenario"] == "repaint" }, NamedPlots.barriersPerWalker),
                ("barriers-perm.svg", { $0["scenario"] == "perm" }, NamedPlots.barriersPerWalker),
                ("pt-bytes.svg", { $0["scenario"] == "boot" && $0["create_barriers"] == "batched" }, NamedPlots.tableBytesVsMemory),
                ("mpki.svg", { $0["scenario"] == "mosaic" }, NamedPlots.mpkiVsSplitFraction),
            ]
            for (file, keep, draw) in plots {
                let selected = rows.filter(keep)
                guard !selected.isEmpty else { continue }
                let svg: String
                do { svg = try draw(selected) } catch { throw RunError("--input: \(error)") }
                let path = (output as NSString).appendingPathComponent(file)
                do { try svg.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                    throw RunError("--output: cannot write \(path)")
                }
                print(path)
            }
        }
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
