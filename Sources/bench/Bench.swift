import ArgumentParser
import BenchHarness
import Foundation

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Barriers, TLBIs and page-table pages of the arm64 linear map's split walkers, simulated.",
        discussion: """
            With no arguments, runs the default suite and writes Results/runs/latest.csv. \
            With simulation options and no subcommand, runs one scenario (as `bench run`).

            Examples:
              bench --scenario boot --memory 256G --mode pte --csv boot.csv
              bench sweep --scenario perm --walker leaf,range --lazy on,off
            """,
        version: "SplitBench 0.3.0 (CSV schema \(CSVSchema.version))",
        subcommands: [Run.self, Suite.self, Sweep.self, Plot.self, PTDump.self, CheckCommand.self, PerfCheckCommand.self, CostFitCommand.self, Schema.self, Kernels.self, CPUs.self, Job.self],
        defaultSubcommand: Run.self)

    /// ArgumentParser's own errors (an unknown option, a missing value) come out as one
    /// line too, not its multi-line usage dump; help and --version print as usual.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            if !(error is ExitCode) {
                let message = Self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                FileHandle.standardError.write(Data("bench: \(message) (see bench --help)\n".utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }

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
            Each option's help gives its default and the scenarios that use it; an \
            option the chosen scenario does not use is an error. One per scenario:
              bench run --scenario boot --memory 256G --mode pte \\
                --create-path base --boot map-mem
              bench run --scenario perm --walker range --lazy off --requests 1000 \\
                --request-pages pow2:9 --placement contiguous --change rox \\
                --rodata-full on --seed 7 --csv perm.csv
              bench run --scenario repaint --memory 1T --variant yang-v5 \\
                --lazy off --tlbi-range on --fail-after 100
              bench run --scenario kfence --variant before-ce2b3a50ad92 \\
                --repeat-tlbi per-sync --seed 3
              bench run --scenario debug-pagealloc --requests 2000 \\
                --nesting counted --softirq-share 0.5 --nested-share 0.25 \\
                --variant before-ce2b3a50ad92
              bench run --scenario replay --ops trace.csv --walker leaf \\
                --memory 4G --verify
              bench run --scenario tlb --mode pte --tlb v2 --trace zipf \\
                --zipf 1.1 --accesses 500000 --repeat 3
              bench run --scenario mosaic --split-fraction 0.01 \\
                --trace hotset --working-set 128K --kfence early
              bench run --scenario realm-boot --memory 4G --variant v6.18 \\
                --present-invalid on --bbml2 boot-only --swiotlb-bytes 64M \\
                --its-bytes 256K
              bench run --scenario hotplug --memory 4G --variant v7.1 \\
                --hotplug-bytes 1G --hotplug-remove all --requests 16
              bench run --scenario churn --layout ampereone-256g --variant collapse \\
                --events 6000 --sample-every 250 --live-areas 64 --pack-share 0.1 \\
                --text-share 0.5 --drain on --series series.csv --csv run.csv
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
