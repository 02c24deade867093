import ArgumentParser
import BenchHarness
import Foundation

struct PerfCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perfcheck",
        abstract: "Count the measured operation's instructions under callgrind and fail on a change.",
        discussion: """
            Runs one small configuration per scenario under valgrind --tool=callgrind and counts \
            the instructions (Ir) of the measured operation only (the bracket around it in \
            ScenarioRunner.measure). Prints one line per configuration (baseline, measured, \
            change) and exits 1 when any count moved by more than --max-change, in either \
            direction. The baseline records the valgrind version; another version is refused.

            Examples:
              bench perfcheck
              bench perfcheck --update     # after an intended change: rewrite the baseline
            """)

    @Option(parsing: .unconditional, help: "Baseline CSV of configuration,valgrind,instructions.") var baseline = "Results/instructions.csv"
    @Option(name: .customLong("max-change"), parsing: .unconditional, help: "Allowed change of a count, in percent.") var maxChange = 2.0
    @Option(parsing: .unconditional, help: "The valgrind to run (on PATH or a path).") var valgrind = "valgrind"
    @Flag(help: "Measure and write the baseline instead of comparing.") var update = false

    func run() throws {
        try Bench.reportingErrors {
            guard maxChange.isFinite, maxChange >= 0 else {
                throw RunError("--max-change: '\(maxChange)' is not valid; use a percentage ≥ 0 such as 2")
            }
            let start = Date()
            var failed = 0
            let measured = try PerfCheck.run(baseline: baseline, update: update, valgrind: valgrind) { line in
                if update {
                    print("\(line.configuration): measured \(line.measured)")
                } else {
                    if line.fails(maxChange: maxChange / 100) { failed += 1 }
                    print(line.rendered(maxChange: maxChange / 100))
                }
            }
            let seconds = Int(Date().timeIntervalSince(start).rounded())
            if update {
                print("perfcheck: wrote \(baseline) (\(measured.entries.count) configuration(s), \(measured.valgrind), \(seconds) s)")
                return
            }
            print("perfcheck: \(measured.entries.count) configuration(s) with \(measured.valgrind), \(failed) changed by more than \(maxChange) %, \(seconds) s")
            if failed > 0 { throw RunError("perfcheck: \(failed) instruction count(s) moved by more than \(maxChange) % against \(baseline) (if intended: bench perfcheck --update)") }
        }
    }
}
