import ArgumentParser
import BenchHarness
import Foundation

struct CostFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "costfit",
        abstract: "Fit the --cost-model presets to a table of measured map_mem times.",
        discussion: """
            Boots every cell of the table (machine,memory,state,ms: map_mem PTE-mapped on one \
            bank of that size through that --create-path state), fits each machine's costs by \
            non-negative least squares in relative error, and prints every cell's estimate and \
            error: from its machine's preset, from the other states of its column, and from the \
            machine's smallest size. --out writes the presets as Swift (rebuild to use them).

            Example:
              bench costfit --table docs/map_mem_v6.10.csv \\
                --out Sources/BenchHarness/CostPresets.swift
            """)

    @Option(parsing: .unconditional, help: "CSV of machine,memory,state,ms cells.") var table: String
    @Option(parsing: .unconditional, help: "Write the fitted presets here (CostPresets.swift).") var out: String?
    @Flag(help: "No progress bar.") var quiet = false

    func run() throws {
        try Bench.reportingErrors {
            let cells = try CostFit.cells(path: table)
            let specs = try cells.map { c throws(RunError) in try CostFit.spec(c) }
            let results = try runAll(specs, csv: nil, progress: Progress(total: specs.count, quiet: quiet))
            let report = CostFit.report(zip(cells, results).map { CostFit.Sample(cell: $0, counts: CostModel.counts($1)) })
            print(CostFit.markdown(report))
            guard let out else { return }
            let date = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            let source = CostFit.presetsSource(report, command: "bench costfit --table \(table) --out \(out)", date: date)
            do { try source.write(toFile: out, atomically: true, encoding: .utf8) } catch { throw RunError("--out: cannot write '\(out)'") }
        }
    }
}
