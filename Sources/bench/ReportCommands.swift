import ArgumentParser
import BenchHarness
import Foundation
import Reports

struct PTDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptdump",
        abstract: "Print the simulated linear map in the kernel's ptdump format.",
        discussion: """
            Diffable against /sys/kernel/debug/kernel_page_tables (its Linear Mapping section).
            The map is the one the scenario leaves behind (boot: map_mem's).

            Examples:
              bench ptdump --memory 4G --mode block
              bench ptdump --memory 4G --scenario repaint
              bench ptdump --layout ampereone-256g --mode pte > sim.txt
            """)

    @OptionGroup var simulation: SimulationOptions

    func run() throws {
        try Bench.reportingErrors {
            let (pt, layout) = try ScenarioRunner.finalMap(try simulation.config())
            print(ptdump(pt, layout: layout), terminator: "")
        }
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw SVG charts from a bench CSV.",
        discussion: """
            Writes barriers.svg (repaint and perm barriers per walker, lazy on/off), pt-bytes.svg
            (boot page-table bytes against memory size) and mpki.svg (mosaic mpki_proxy against
            split fraction), each only when the CSV has rows for it.

            Example: bench plot --input Results/latest.csv --output Results
            """)

    @Option(help: "CSV written by bench.") var input = "Results/latest.csv"
    @Option(help: "Directory for the SVG files.") var output = "Results"

    func run() throws {
        try Bench.reportingErrors {
            let table: CSVTable
            do { table = try CSVTable(contentsOfFile: input) } catch {
                throw RunError("--input: \(input): \(error)")
            }
            let plots: [(String, Set<String>, ([[String: String]]) throws(ChartError) -> String)] = [
                ("barriers.svg", ["repaint", "perm"], NamedPlots.barriersPerWalker),
                ("pt-bytes.svg", ["boot"], NamedPlots.tableBytesVsMemory),
                ("mpki.svg", ["mosaic"], NamedPlots.mpkiVsSplitFraction),
            ]
            for (file, scenarios, draw) in plots {
                let rows = table.rows.filter { scenarios.contains($0["scenario"] ?? "") }
                guard !rows.isEmpty else { continue }
                let svg: String
                do { svg = try draw(rows) } catch { throw RunError("--input: \(input): \(error)") }
                let path = (output as NSString).appendingPathComponent(file)
                do { try svg.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                    throw RunError("--output: cannot write \(path)")
                }
                print(path)
            }
        }
    }
}
