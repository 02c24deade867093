import ArgumentParser
import BenchHarness

struct Kernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the --kernel presets: each version's behaviours, the commits behind them and where they were checked.")

    func run() {
        print(PresetTables.kernels())
    }
}

struct CPUs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpus",
        abstract: "Print the --cpu presets: BBML2_NOABORT per kernel, FEAT_TLBIRANGE, REPEAT_TLBI and TLB geometry, with sources.")

    func run() {
        print(PresetTables.cpus())
    }
}
