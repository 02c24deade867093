import ArgumentParser
import BenchHarness
import Foundation
import Reports

/// The parameters that shape the map and the operation, as text: `RunSpec.parse`
/// resolves them against the parameter table, so `run`, `sweep`, `ptdump` and `check`
/// share one parser, one set of defaults and one set of errors. Every option of the CLI
/// takes the next argument whatever it starts with (`parsing: .unconditional`), so a value
/// such as `--seed -1` reaches that check and its one-line error instead of ArgumentParser's
/// "Missing value".
struct MapOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: help("scenario")) var scenario: String?
    @Option(parsing: .unconditional, help: help("kernel")) var kernel: String?
    @Option(parsing: .unconditional, help: help("cpu")) var cpu: String?
    @Option(parsing: .unconditional, help: help("bbml2")) var bbml2: String?
    @Option(parsing: .unconditional, help: help("walker")) var walker: String?
    @Option(parsing: .unconditional, help: help("lazy")) var lazy: String?
    @Option(parsing: .unconditional, help: help("nesting")) var nesting: String?
    @Option(name: .customLong("initial-map"), parsing: .unconditional, help: help("initial-map")) var initialMap: String?
    @Option(parsing: .unconditional, help: help("iomem")) var iomem: String?
    @Option(parsing: .unconditional, help: help("layout")) var layout: String?
    @Option(parsing: .unconditional, help: help("memory")) var memory: String?
    @Option(parsing: .unconditional, help: help("mode")) var mode: String?
    @Option(parsing: .unconditional, help: help("seed")) var seed: String?
    @Option(parsing: .unconditional, help: help("requests")) var requests: String?
    @Option(name: .customLong("request-pages"), parsing: .unconditional, help: help("request-pages")) var requestPages: String?
    @Option(parsing: .unconditional, help: help("placement")) var placement: String?
    @Option(name: .customLong("create-path"), parsing: .unconditional, help: help("create-path")) var createPath: String?
    @Option(parsing: .unconditional, help: help("boot")) var boot: String?
    @Option(name: .customLong("kfence-init"), parsing: .unconditional, help: help("kfence-init")) var kfenceInit: String?
    @Option(name: .customLong("map-mem"), parsing: .unconditional, help: help("map-mem")) var mapMem: String?
    @Option(parsing: .unconditional, help: help("change")) var change: String?
    @Option(name: .customLong("rodata-full"), parsing: .unconditional, help: help("rodata-full")) var rodataFull: String?
    @Option(parsing: .unconditional, help: help("kfence")) var kfence: String?
    @Option(parsing: .unconditional, help: help("kpti")) var kpti: String?
    @Option(name: .customLong("tlbi-range"), parsing: .unconditional, help: help("tlbi-range")) var tlbiRange: String?
    @Option(name: .customLong("repeat-tlbi"), parsing: .unconditional, help: help("repeat-tlbi")) var repeatTLBI: String?
    @Option(parsing: .unconditional, help: help("variant")) var variant: String?
    @Option(name: .customLong("softirq-share"), parsing: .unconditional, help: help("softirq-share")) var softirqShare: String?
    @Option(name: .customLong("nested-share"), parsing: .unconditional, help: help("nested-share")) var nestedShare: String?
    @Option(parsing: .unconditional, help: help("ops")) var ops: String?
    @Option(name: .customLong("fail-after"), parsing: .unconditional, help: help("fail-after")) var failAfter: String?
    @Option(name: .customLong("split-fraction"), parsing: .unconditional, help: help("split-fraction")) var splitFraction: String?
    @Option(name: .customLong("present-invalid"), parsing: .unconditional, help: help("present-invalid")) var presentInvalid: String?
    @Option(name: .customLong("swiotlb-bytes"), parsing: .unconditional, help: help("swiotlb-bytes")) var swiotlbBytes: String?
    @Option(name: .customLong("its-bytes"), parsing: .unconditional, help: help("its-bytes")) var itsBytes: String?
    @Option(name: .customLong("hotplug-bytes"), parsing: .unconditional, help: help("hotplug-bytes")) var hotplugBytes: String?
    @Option(name: .customLong("hotplug-remove"), parsing: .unconditional, help: help("hotplug-remove")) var hotplugRemove: String?
    @Option(parsing: .unconditional, help: help("events")) var events: String?
    @Option(name: .customLong("sample-every"), parsing: .unconditional, help: help("sample-every")) var sampleEvery: String?
    @Option(name: .customLong("live-areas"), parsing: .unconditional, help: help("live-areas")) var liveAreas: String?
    @Option(name: .customLong("pack-share"), parsing: .unconditional, help: help("pack-share")) var packShare: String?
    @Option(name: .customLong("text-share"), parsing: .unconditional, help: help("text-share")) var textShare: String?
    @Option(parsing: .unconditional, help: help("drain")) var drain: String?

    /// (option, value) for every option given.
    var given: [(String, String)] {
        presentOptions([
            ("scenario", scenario),
            ("kernel", kernel),
            ("cpu", cpu),
            ("bbml2", bbml2),
            ("walker", walker),
            ("lazy", lazy),
            ("nesting", nesting),
            ("initial-map", initialMap),
            ("iomem", iomem),
            ("layout", layout),
            ("memory", memory),
            ("mode", mode),
            ("seed", seed),
            ("requests", requests),
            ("request-pages", requestPages),
            ("placement", placement),
            ("create-path", createPath),
            ("boot", boot),
            ("kfence-init", kfenceInit),
            ("map-mem", mapMem),
            ("change", change),
            ("rodata-full", rodataFull),
            ("kfence", kfence),
            ("kpti", kpti),
            ("tlbi-range", tlbiRange),
            ("repeat-tlbi", repeatTLBI),
            ("variant", variant),
            ("softirq-share", softirqShare),
            ("nested-share", nestedShare),
            ("ops", ops),
            ("fail-after", failAfter),
            ("split-fraction", splitFraction),
            ("present-invalid", presentInvalid),
            ("swiotlb-bytes", swiotlbBytes),
            ("its-bytes", itsBytes),
            ("hotplug-bytes", hotplugBytes),
            ("hotplug-remove", hotplugRemove),
            ("events", events),
            ("sample-every", sampleEvery),
            ("live-areas", liveAreas),
            ("pack-share", packShare),
            ("text-share", textShare),
            ("drain", drain),
        ])
    }
}

/// The access trace of the tlb and mosaic scenarios.
struct TraceOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: help("tlb")) var tlb: String?
    @Option(parsing: .unconditional, help: help("trace")) var trace: String?
    @Option(parsing: .unconditional, help: help("accesses")) var accesses: String?
    @Option(parsing: .unconditional, help: help("zipf")) var zipf: String?
    @Option(name: .customLong("working-set"), parsing: .unconditional, help: help("working-set")) var workingSet: String?
    @Option(name: .customLong("image-share"), parsing: .unconditional, help: help("image-share")) var imageShare: String?
    @Option(name: .customLong("vmalloc-share"), parsing: .unconditional, help: help("vmalloc-share")) var vmallocShare: String?
    @Option(name: .customLong("user-share"), parsing: .unconditional, help: help("user-share")) var userShare: String?
    @Option(parsing: .unconditional, help: help("stacks")) var stacks: String?
    @Option(name: .customLong("user-page"), parsing: .unconditional, help: help("user-page")) var userPage: String?
    @Option(name: .customLong("user-bytes"), parsing: .unconditional, help: help("user-bytes")) var userBytes: String?

    var given: [(String, String)] {
        presentOptions([
            ("tlb", tlb),
            ("trace", trace),
            ("accesses", accesses),
            ("zipf", zipf),
            ("working-set", workingSet),
            ("image-share", imageShare),
            ("vmalloc-share", vmallocShare),
            ("user-share", userShare),
            ("stacks", stacks),
            ("user-page", userPage),
            ("user-bytes", userBytes),
        ])
    }
}

/// The options that were given, as (name, text).
private func presentOptions(_ all: [(String, String?)]) -> [(String, String)] {
    all.compactMap { name, value in value.map { (name, $0) } }
}

/// Everything `run` and `sweep` take about what to simulate.
struct SimulationOptions: ParsableArguments {
    @OptionGroup(title: "What to simulate") var map: MapOptions
    @OptionGroup(title: "Access trace (tlb, mosaic, churn)") var trace: TraceOptions
    @Option(parsing: .unconditional, help: help("repeat")) var `repeat`: String?
    @Option(name: .customLong("cost-model"), parsing: .unconditional, help: help("cost-model")) var costModel: String?

    var given: [(String, String)] {
        map.given + trace.given + presentOptions([("repeat", `repeat`), ("cost-model", costModel)])
    }

    func spec() throws(RunError) -> RunSpec { try RunSpec.parse(given) }
}

/// An option's help from the parameter table: what it is, its default, where it applies.
func help(_ name: String) -> ArgumentHelp {
    let p = Parameter.named(name)!
    let scenarios = Scenario.allCases.filter(p.scenarios.contains)
    let used = scenarios.count == Scenario.allCases.count ? "" : " Used by " + scenarios.map(\.rawValue).joined(separator: ", ") + "."
    let value = valueName(p)
    let form = value == p.form ? "" : " Form: \(p.form)."
    let preset = Preset.selected.contains(name) ? " on the default --kernel and --cpu, which select it" : ""
    return ArgumentHelp("\(p.help) Default: \(defaults(p, scenarios))\(preset).\(used)\(form)", valueName: value)
}

/// "256G", or per scenario where they differ: "v6.18 (repaint), ce2b3a50ad92 (kfence), …".
private func defaults(_ p: Parameter, _ scenarios: [Scenario]) -> String {
    var groups: [(text: String, scenarios: [String])] = []
    for s in scenarios {
        let text = p.defaultText(for: s) ?? "none"
        if let i = groups.firstIndex(where: { $0.text == text }) { groups[i].scenarios.append(s.rawValue) }
        else { groups.append((text, [s.rawValue])) }
    }
    guard groups.count > 1 else { return groups.first?.text ?? "none" }
    return groups.map { "\($0.text) (\($0.scenarios.joined(separator: ", ")))" }.joined(separator: "; ")
}

private func valueName(_ p: Parameter) -> String {
    switch p.name {
    case "memory", "working-set", "user-bytes": "size"
    case "seed", "requests", "fail-after", "accesses", "repeat", "stacks": "n"
    case "softirq-share", "nested-share", "split-fraction", "image-share", "vmalloc-share", "user-share": "fraction"
    case "ops", "trace", "layout": "\(p.name)"
    case "initial-map", "iomem": "file"
    case "zipf": "s"
    default: p.form.count <= 32 ? p.form : p.name
    }
}

struct OutputOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Write one CSV row per run to FILE.") var csv: String?
    @Option(parsing: .unconditional, help: "churn: write one CSV row per sample (every --sample-every events) to FILE; --csv keeps one row per run, the final map.")
    var series: String?
    @Option(parsing: .unconditional, help: "stdout format: table | csv | json | directmap (the final map's /proc/meminfo DirectMap lines, as Yang Shi's arm64 patch prints them).") var format: String = "table"
    @Flag(help: "No progress bar.") var quiet = false
    @Flag(help: "Check the final map with the verifier and the translation oracle.") var verify = false

    func checkFormat() throws(RunError) {
        guard ["table", "csv", "json", "directmap"].contains(format) else {
            throw RunError("--format: '\(format)' is not valid; use table | csv | json | directmap")
        }
    }

    /// Runs `specs`, streaming rows to --csv, and prints them in --format; with `jobs` > 1,
    /// in child processes given `options`, each spec's option texts.
    func execute(_ specs: [RunSpec], csvHeader: Bool = true, options: [[(String, String)]] = [], jobs: Int = 1) throws(RunError) -> [RunResult] {
        try checkFormat()
        let specs = specs.map { s in var s = s; s.verify = verify; return s }
        if series != nil, !specs.contains(where: { $0.kind == .churn }) {
            throw RunError("--series: only the churn scenario has samples; use it with --scenario churn")
        }
        let inputs = specs.flatMap { $0.inputs.map { ("--" + $0.option, Optional($0.path)) } }
        do {
            if let csv { try OutputFile.refuseOverlap(output: csv, inputs: inputs, option: "--csv") }
            // The run's CSV would be replaced by its samples.
            if let series { try OutputFile.refuseOverlap(output: series, inputs: inputs, option: "--series", outputs: [("--csv", csv)]) }
        } catch { throw RunError(error.description) }
        let csvFile = try csv.map { path throws(RunError) in try CSVOutput(path: path, header: csvHeader) }
        // Opened before anything runs, so a --series that cannot be written fails first.
        let seriesFile: OutputFile?
        do { seriesFile = try series.map { path throws(OutputError) in try OutputFile(path: path, option: "--series") } } catch {
            throw RunError(error.description)
        }
        let results: [RunResult]
        let progress = Progress(total: specs.count, quiet: quiet)
        do {
            results = try jobs > 1 ? ParallelRuns.run(specs, options: options, jobs: jobs, csv: csvFile, progress: progress)
                                   : runAll(specs, csv: csvFile, progress: progress)
        } catch {
            if let note = csvFile?.abandonNote { FileHandle.standardError.write(Data("bench: \(note)\n".utf8)) }
            throw error
        }
        if let seriesFile {
            do {
                try seriesFile.write(([ChurnSeries.header] + ChurnSeries.rows(results)).joined(separator: "\n") + "\n")
                try seriesFile.commit()
            } catch {
                seriesFile.abandon(keepingPartial: false)
                throw RunError(error.description)
            }
        }
        switch format {
        case "csv": print(([CSVSchema.header] + results.map(CSVSchema.row)).joined(separator: "\n"))
        case "json": print(SummaryTable.json(results))
        case "directmap":
            for r in results {
                // Several runs: each block under its run's label.
                if results.count > 1 { print("# " + SummaryTable.label(r.spec)) }
                print(r.directMap.meminfoLines(.fourK).joined(separator: "\n"))
            }
        default: print(SummaryTable.render(results))
        }
        reportErrors(results)
        return results
    }

    /// A run whose operation failed still has its row; stderr says so.
    private func reportErrors(_ results: [RunResult]) {
        for r in results where r.errors > 0 {
            FileHandle.standardError.write(Data("bench: \(SummaryTable.label(r.spec)): \(r.errors) operation(s) returned ENOMEM or EINVAL (see the errors column)\n".utf8))
        }
    }
}
