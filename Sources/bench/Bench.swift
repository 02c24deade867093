import ArgumentParser
import BenchHarness
import Foundation

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Barriers, TLBIs and page-table pages of the arm64 linear map's split walkers, simulated.",
        discussion: """
            With no arguments, runs the default suite and writes Results/runs/latest.csv.
            With simulation options and no subcommand, runs one scenario (as `bench run`).

            Examples:
              bench --scenario boot --memory 256G --layout single --mode pte --csv boot.csv
              bench sweep --scenario perm --walker leaf,range --lazy on,off --csv perm.csv
            """,
        version: "SplitBench 0.3.0 (CSV schema \(CSVSchema.version))",
        subcommands: [Run.self, Suite.self, Sweep.self, Plot.self, PTDump.self, CheckCommand.self, CostFitCommand.self, Schema.self],
        defaultSubcommand: Run.self)

    /// Our own errors are one line on stderr and exit status 1.
    static func reportingErrors(_ body: () throws -> Void) throws {
        do { try body() } catch let error as RunError {
            FileHandle.standardError.write(Data("bench: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one scenario with every parameter (with none: the default suite).",
        discussion: """
            Examples:
              bench run --scenario repaint --memory 256G --lazy off
              bench run --scenario perm --walker range --requests 10000 --request-pages pow2:9 --csv perm.csv
              bench run --scenario replay --ops trace.csv --walker leaf
            """)

    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Bench.reportingErrors {
            if simulation.given.isEmpty {
                try Suite.runDefault(output: output)
            } else {
                _ = try output.execute([try simulation.spec()])
            }
        }
    }
}
