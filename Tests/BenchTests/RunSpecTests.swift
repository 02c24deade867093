import BenchHarness
import Foundation
import Testing

/// The typed run description: every option is checked against the run that would use
/// it, and the row says what ran.
@Suite struct RunSpecTests {
    /// A valid text for every parameter, to try it where it does not belong.
    static let sample: [String: String] = [
        "scenario": "perm", "kernel": "v7.0", "cpu": "grace", "bbml2": "boot-only", "layout": "numa2", "memory": "4G", "kfence": "early", "mode": "pte", "walker": "range",
        "variant": "v6.18", "lazy": "off", "nesting": "counted", "create-path": "base", "boot": "map-mem", "kfence-init": "b7737c38e7cb", "tlbi-range": "on", "kpti": "on",
        "repeat-tlbi": "per-sync", "requests": "7", "request-pages": "3", "placement": "contiguous", "change": "rox", "rodata-full": "off", "softirq-share": "0.1",
        "nested-share": "0.2", "ops": "ops.csv", "fail-after": "3", "tlb": "v2", "trace": "uniform", "accesses": "5",
        "zipf": "1.5", "working-set": "1M", "split-fraction": "0.3", "seed": "9", "repeat": "2", "cost-model": "altra-vm",
        "map-mem": "overlay",
        "present-invalid": "on", "swiotlb-bytes": "32M", "its-bytes": "128K",
        "hotplug-bytes": "512M", "hotplug-remove": "256M",
        "initial-map": "ptdump.txt", "iomem": "iomem.txt",
        "image-share": "0.1", "vmalloc-share": "0.2", "user-share": "0.3", "stacks": "8", "user-page": "2M", "user-bytes": "64M",
        "events": "50", "sample-every": "5", "live-areas": "3", "pack-share": "0.2", "text-share": "0.7", "drain": "on",
    ]

    @Test func everyParameterHasASample() {
        #expect(Set(Self.sample.keys) == Set(Parameter.all.map(\.name)))
    }

    /// Reproducer: a boot row said `requests=10000,trace=memcached`. Every option a
    /// scenario does not use is refused, naming the option.
    @Test(arguments: Scenario.allCases)
    func optionsAScenarioDoesNotUseAreRefused(_ scenario: Scenario) {
        for p in Parameter.all where !p.scenarios.contains(scenario) {
            #expect {
                try RunSpec.parse([("scenario", scenario.rawValue), (p.name, Self.sample[p.name]!)])
            } throws: { ($0 as? RunError)?.description.hasPrefix("--\(p.name): ") == true && ($0 as? RunError)?.description.contains(scenario.rawValue) == true }
        }
    }

    /// The row's parameter columns are exactly the parameters the scenario uses.
    @Test(arguments: Scenario.allCases)
    func unusedParameterColumnsAreEmpty(_ scenario: Scenario) throws {
        var given = [("scenario", scenario.rawValue)]
        if scenario == .replay { given.append(("ops", "ops.csv")) }
        let s = try RunSpec.parse(given)
        let row = Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name),
                                                       CSVSchema.fields(RunResult(spec: s, layoutName: "single", memoryBytes: 1))))
        let labels: Set<String> = ["walker", "mode", "memory_bytes"]  // what ran, also where fixed by the scenario
        for p in Parameter.all where !labels.contains(p.column) {
            let used = p.scenarios.contains(scenario) && s.values[p.name] != nil
            #expect(row[p.column]!.isEmpty == !used, "\(scenario.rawValue): \(p.column) = '\(row[p.column]!)'")
        }
    }

    @Test func conditionalParametersAreRefusedWhereTheyTakeNoEffect() {
        let cases: [[(String, String)]] = [
            [("scenario", "tlb"), ("zipf", "1.2")],                               // memcached trace
            [("scenario", "tlb"), ("trace", "zipf"), ("working-set", "1M")],
            [("scenario", "tlb"), ("trace", "t.txt"), ("seed", "2")],             // a file has no random choices
            [("scenario", "perm"), ("walker", "range"), ("variant", "before-ce2b3a50ad92")],
            [("scenario", "debug-pagealloc"), ("lazy", "off"), ("nesting", "counted")],
            [("layout", "ampereone-256g"), ("memory", "16G")],
            [("layout", "x.json"), ("kfence", "early")],
            [("layout", "x.json"), ("memory", "4G")],
            [("initial-map", "m.txt"), ("iomem", "i.txt"), ("kfence", "early")],
            [("scenario", "perm"), ("initial-map", "m.txt"), ("iomem", "i.txt"), ("layout", "numa2")],
            [("initial-map", "m.txt"), ("iomem", "i.txt"), ("boot", "map-mem")],
            [("scenario", "perm"), ("iomem", "i.txt")],
        ]
        for given in cases {
            let option = given.last!.0
            #expect(throws: RunError.self, "\(given)") { try RunSpec.parse(given) }
            #expect { try RunSpec.parse(given) } throws: { ($0 as? RunError)?.description.hasPrefix("--\(option):") == true }
        }
    }

    /// Reproducer: `--scenario kfence --variant v6.18` ran the old path labelled v6.18, and
    /// `--scenario repaint --variant before-ce2b3a50ad92` ran v6.18 under that label.
    @Test func variantWordsAreTheScenariosOwn() throws {
        #expect(throws: RunError("--variant: 'v6.18' is not a kfence variant; use ce2b3a50ad92|before-ce2b3a50ad92")) {
            try RunSpec.parse([("scenario", "kfence"), ("variant", "v6.18")])
        }
        #expect(throws: RunError("--variant: 'before-ce2b3a50ad92' is not a repaint variant; use v6.18|yang-v5")) {
            try RunSpec.parse([("scenario", "repaint"), ("variant", "before-ce2b3a50ad92")])
        }
        for (variant, walker) in [("ce2b3a50ad92", "pagewalk"), ("before-ce2b3a50ad92", "leaf")] {
            let r = try ScenarioRunner.run(spec([("scenario", "kfence"), ("memory", "2G"), ("variant", variant)]))
            #expect(r.spec.values["variant"] == variant && r.spec.walkerLabel == walker)
            // The split pool takes the split lock once; before, each of the 257 guard pages'
            // set_memory_valid went through W1 and its lock.
            #expect(r.counters.splitLockAcquisitions == (variant == "ce2b3a50ad92" ? 1 : 257))
        }
    }

    /// Reproducer: `--lazy off` gave debug-pagealloc the same counts as `--lazy on`.
    @Test func debugPageallocLazyOffTakesEffect() throws {
        func run(_ lazy: String) throws -> RunResult {
            try ScenarioRunner.run(spec([("scenario", "debug-pagealloc"), ("memory", "1G"), ("requests", "200"), ("lazy", lazy)]))
        }
        let on = try run("on"), off = try run("off")
        #expect(on.spec.values["lazy"] == "on" && off.spec.values["lazy"] == "off")
        #expect(off.spec.values["nesting"] == nil)
        // Batched, each page's rewrite ends with one dsb ishst + isb pair at the section's
        // end; unbatched, the write itself emits it: the same count. The outer section's
        // writes do differ: eight per outer section, batched once with lazy MMU.
        #expect(off.counters.dsbIshst > on.counters.dsbIshst)
        #expect(off.counters.totalEntriesWritten == on.counters.totalEntriesWritten)
    }

    /// Reproducer: `--split-fraction 0.00005` was written as 0.0001.
    @Test func fractionsAreWrittenAtFullPrecision() throws {
        let s = try spec([("scenario", "mosaic"), ("split-fraction", "0.00005")])
        #expect(s.values["split-fraction"] == "5e-05")
        #expect(Double(s.values["split-fraction"]!) == 0.00005)
        let d = try spec([("scenario", "debug-pagealloc"), ("softirq-share", "0.123456789012345")])
        #expect(d.values["softirq-share"] == "0.123456789012345")
    }

    @Test func sweepListsMustApplyToEveryScenarioInThem() {
        #expect { try Sweep.product([("scenario", ["perm", "boot"]), ("lazy", ["on", "off"])]) }
            throws: { ($0 as? RunError)?.description.hasPrefix("--lazy: 'on' not used by this run: the boot scenario") == true }
        #expect { try Sweep.product([("scenario", ["perm"]), ("walker", ["leaf", ""])]) } throws: { $0 is RunError }
    }

    @Test func malformedValuesNameTheOptionAndTheForm() {
        let cases: [(String, String, String)] = [
            ("memory", "0xFFFFFFFFFFFFF001", "a multiple of 4K"), ("memory", "99999999999P", "a size"),
            ("seed", "-1", "0…2^64-1"), ("seed", "18446744073709551616", "0…2^64-1"),
            ("repeat", "0", "1…1000"), ("zipf", "inf", "s > 0"), ("zipf", "nan", "s > 0"),
            ("split-fraction", "1.5", "0…1"), ("accesses", "0", "1…1,000,000,000"), ("lazy", "yes", "on|off"),
        ]
        for (option, value, form) in cases {
            do {
                _ = try RunSpec.parse([("scenario", "mosaic"), ("trace", "zipf"), (option, value)])
                Issue.record("\(option)=\(value) accepted")
            } catch {
                #expect(error.description.hasPrefix("--\(option): '\(value)' is not valid; use ") && error.description.contains(form),
                        "\(error.description)")
            }
        }
    }

    @Test func errorsEchoNoControlCharacters() {
        #expect(throws: RunError("--lazy: 'o\\u{d}\\u{a}n' is not valid; use on|off")) {
            try RunSpec.parse([("scenario", "perm"), ("lazy", "o\r\nn")])
        }
    }
}
