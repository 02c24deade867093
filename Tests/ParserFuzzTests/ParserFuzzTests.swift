import BenchHarness
import Foundation
import KernelCallers
import LinearMap
import PageTableModel
import Testing
import TLBModel

/// A few hundred malformed and extreme inputs through every parser the CLI has: each
/// must end in a value or in one clean line of error, never a trap or a hang.
@Suite struct ParserFuzzTests {
    /// One line, naming what was wrong.
    static func isClean(_ message: String) -> Bool {
        !message.isEmpty && !message.contains("\n") && !message.contains("\r")
    }

    static func temporaryFile(_ text: String, _ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID())-\(name)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    static let sizes = [
        "0", "1", "4095", "4096", "4K", "64M", "1G", "0x0", "0x1000", "0xFFFFFFFFFFFFF000", "0xFFFFFFFFFFFF0000",
        "0xffffffffffffffff", "18446744073709551615", "18446744073709551616", "16383P", "16384P", "99999999999999999999P",
        "128T", "256T", "1P", "-4K", " 4G", "4G ", "4g", "4GiB", "4GB", "4 G", "", "G", "0x", "0xG", "١G", "1e9",
        String(repeating: "9", count: 40), "4G\r", "\u{FEFF}4G", "4.5G", "+4G", "0b1010",
    ]

    /// Sizes as --memory and --working-set, on every built-in layout: parse, then prepare
    /// (layout arithmetic and the memory guard).
    @Test func sizes() {
        for size in Self.sizes {
            for layout in MachineLayout.builtinNames {
                var given = [("layout", layout)]
                if layout != "ampereone-256g" { given.append(("memory", size)) }
                expectClean(given)
            }
            expectClean([("scenario", "tlb"), ("memory", "1G"), ("trace", "hotset"), ("working-set", size)])
        }
    }

    static let layouts = [
        "", "{}", "[]", "null", "{\"banks\": []}", "{\"banks\": {}}", "{\"banks\": [{}]}",
        #"{"banks": [{"start": "0x40000000"}]}"#,
        #"{"banks": [{"start": "0xffffffffffff0000", "size": "1G"}]}"#,
        #"{"banks": [{"start": "0x40000000", "size": "0xffffffffffffffff"}]}"#,
        #"{"banks": [{"start": -1, "size": "1G"}]}"#,
        #"{"banks": [{"start": 1.5, "size": "1G"}]}"#,
        #"{"banks": [{"start": "0x40000000", "size": "1G"}], "kernel": {"start": "0xfffffffffff00000", "size": "16M"}}"#,
        #"{"banks": [{"start": "0x40000000", "size": "1G"}], "kernel": {"start": "0x40000000", "size": "0"}}"#,
        #"{"banks": [{"start": "0x40000000", "size": "1G"}], "kfence": {"start": "0xffffffffffffe000", "size": "2M"}}"#,
        #"{"banks": [{"start": "0x40000000", "size": "1G"}, {"start": "0x40000000", "size": "1G"}]}"#,
        #"{"banks": [{"start": "0x40001000", "size": "1G"}]}"#,
        #"{"banks": [{"start": "0x40000000", "size": "4097"}]}"#,
        #"{"banks": [{"start": "0x1000000000000000", "size": "1G"}]}"#,
        #"{"banks": [{"start": "0x40000000", "size": "200T"}]}"#,
        #"{"banks": [{"start": "0x40000000", "size": "1G"}], "nmae": "typo"}"#,
        #"{"banks": [{"start": "0x40000000", "size": "1G", "node": 0}]}"#,
        #"{"name": 7, "banks": [{"start": "0x40000000", "size": "1G"}]}"#,
        #"{"name": "a,b\"c\nd", "banks": [{"start": "0x40000000", "size": "1G"}]}"#,
        "\u{FEFF}{\"banks\": [{\"start\": \"0x40000000\", \"size\": \"1G\"}]}",
        "{\"banks\": [{\"start\": \"0x40000000\", \"size\": \"1G\"}]}\r\n",
        String(repeating: "[", count: 10_000),
    ]

    @Test func jsonLayouts() {
        for (i, text) in Self.layouts.enumerated() {
            let path = Self.temporaryFile(text, "layout\(i).json")
            defer { try? FileManager.default.removeItem(atPath: path) }
            for scenario in ["boot", "perm", "debug-pagealloc"] {
                expectClean([("scenario", scenario), ("layout", path)], run: true)
            }
        }
    }

    static let opLines = [
        "split,0xffff000040400000,4096,task", "set_memory_ro,0x0,4096,task", "set_memory_ro,0xffff7ffffffff000,4096,task",
        "set_memory_ro,0xffff800000000000,4096,task", "set_memory_rw,0xfffffffffffff000,4096,task",
        "set_memory_ro,0xffff000040400000,0xffffffffffff0000,task", "set_memory_ro,0xffff000040400000,16E,task",
        "set_memory_ro,0xffff000040400001,4096,task", "set_memory_ro,0xffff000040400000,4095,task",
        "set_memory_ro,0xffff000040400000,0,task", "set_memory_ro,0xffff000040400000,4096,irq",
        "set_memory_ro,0xffff000040400000,4096", "set_memory_ro,0xffff000040400000,4096,task,extra",
        "mystery,0xffff000040400000,4096,task", "set_memory_ro,,4096,task", "set_memory_ro,0x,4096,task",
        "set_memory_ro,0xffff000040400000,-4096,task", "set_memory_valid,0xffff000040400000,1G,softirq",
        "set_memory_invalid,0xffff000040400000,2M,task", "set_direct_map_invalid_noflush,0xffff000040400000,4096,softirq",
        "set_direct_map_default_noflush,0xffff000040400000,4096,task", "# a comment", "", "   ",
        "set_memory_ro, 0xffff000040400000 , 4096 , task", "set_memory_ro,0xffff000040400000,4096,task\r",
        "set_memory_ro,0xffff0000404000000000,4096,task", "\u{0}", String(repeating: "x", count: 5000),
        "set_memory_ro,\u{FEFF}0xffff000040400000,4096,task",
    ]

    /// Op traces built from mutated lines: parse, check against the layout, replay.
    @Test func opTraces() {
        var rng = SplitMix64(seed: 7)
        for i in 0..<150 {
            var lines = ["op,start,size,context"]
            for _ in 0..<(1 + Int(rng.next() % 4)) { lines.append(Self.opLines[Int(rng.next() % UInt64(Self.opLines.count))]) }
            var text = lines.joined(separator: i % 3 == 0 ? "\r\n" : "\n")
            if i % 5 == 0 { text = "\u{FEFF}" + text }
            if i % 7 == 0 { text = String(text.prefix(Int(rng.next() % UInt64(text.count + 1)))) }
            let path = Self.temporaryFile(text, "ops\(i).csv")
            defer { try? FileManager.default.removeItem(atPath: path) }
            expectClean([("scenario", "replay"), ("memory", "256M"), ("ops", path),
                         ("walker", ["leaf", "range", "create-path", "pagewalk"][i % 4])], run: true)
        }
    }

    static let vaLines = [
        "0xffff000040400000", "ffff000040401000", "0x0", "0x1000", "0xffff800000000000", "0xffffffffffffffff",
        "0x10000000000000000", "nope", "0x", "", "# c", "0xffff000040400000\r", "-1", "\u{FEFF}0xffff000040400000",
    ]

    @Test func accessTraces() {
        var rng = SplitMix64(seed: 11)
        for i in 0..<60 {
            let lines = (0..<(1 + Int(rng.next() % 5))).map { _ in Self.vaLines[Int(rng.next() % UInt64(Self.vaLines.count))] }
            let path = Self.temporaryFile(lines.joined(separator: i % 2 == 0 ? "\r\n" : "\n"), "va\(i).txt")
            defer { try? FileManager.default.removeItem(atPath: path) }
            expectClean([("scenario", "tlb"), ("memory", "256M"), ("trace", path), ("accesses", "50")], run: true)
        }
    }

    static let perfLines = [
        "ffff000010401000", "        aaaad0c0", "ffff800080001000", "0", "# PID, TID, IP, ADDR, LOCAL WEIGHT, DSRC, SYMBOL",
        " 1234  1234 0xffff800080001000 0x016ffff000010402000    3 0x1 [kernel.kallsyms]:memcpy",
        "1,1,0xffff800080001000,0xffff000010403000,3,0x1,a:b", "-1 -1 0x1 0x016", "1,1,0x1", " 1 1 0xz 0x016ffff 1 0x1 a:b",
        "1\t1\t0x1\t0x0160\t1\t0x1\ta:b", "ffffffffffffffffff", "0x016ffff000010402000", "", "nope",
    ]

    @Test func perfTraces() {
        var rng = SplitMix64(seed: 13)
        for i in 0..<60 {
            let lines = (0..<(1 + Int(rng.next() % 6))).map { _ in Self.perfLines[Int(rng.next() % UInt64(Self.perfLines.count))] }
            let path = Self.temporaryFile(lines.joined(separator: i % 2 == 0 ? "\r\n" : "\n"), "perf\(i).txt")
            defer { try? FileManager.default.removeItem(atPath: path) }
            expectClean([("scenario", "tlb"), ("memory", "256M"), ("trace", "perf:" + path), ("accesses", "50")], run: true)
        }
    }

    static let values: [String: [String]] = [
        "scenario": Scenario.allCases.map(\.rawValue) + ["", "BOOT", "boot "],
        "walker": ["leaf", "range", "create-path", "pagewalk", "none", "create"],
        "lazy": ["on", "off", "1", "0", "maybe"], "nesting": ["tolerant", "never-nest", "counted", "x"],
        "layout": ["single", "numa2", "numa4", "ampereone-256g", "nope", "missing.json"],
        "memory": ["64M", "256M", "1G", "0", "63M", "0xFFFFFFFFFFFFF000"], "mode": ["block", "pte", "cont"],
        "seed": ["0", "1", "18446744073709551615", "-1"], "requests": ["0", "3", "-1", "99999999999999999999"],
        "request-pages": ["1", "1-16", "pow2:9", "pow2:19", "16-1", "0"], "placement": ["scattered", "contiguous", "uniform", "x"],
        "change": ["ro", "rox", "rw", "x"], "rodata-full": ["on", "off", "x"],
        "create-path": ["base", "no-cont-remap", "batch-barriers", "no-alloc-remap", "x"], "boot": ["map-mem", "full", "x"], "kfence": ["late", "early", "x"],
        "tlbi-range": ["on", "off", "x"], "repeat-tlbi": ["off", "per-tlbi", "per-sync", "on"],
        "variant": ["v6.18", "yang-v5", "ce2b3a50ad92", "before-ce2b3a50ad92", "v7.0"],
        "softirq-share": ["0", "0.5", "1", "1.01", "nan"], "nested-share": ["0", "0.25", "-0", "2"],
        "fail-after": ["0", "5", "-5"], "repeat": ["1", "2", "0", "1001"], "tlb": ["n1", "v2", "x"],
        "trace": ["uniform", "sequential", "zipf", "hotset", "memcached", "missing.txt"],
        "accesses": ["1", "100", "0"], "zipf": ["0.5", "0", "inf"], "working-set": ["4K", "1M", "0"],
        "split-fraction": ["0", "0.3", "1", "1e-300", "-0.1"], "cost-model": ["altra-vm", "m2-vm", "missing.json", ""],
        "image-share": ["0", "0.3", "1.5"], "vmalloc-share": ["0.2", "-0.1"], "user-share": ["0.5", "nan"],
        "stacks": ["1", "0", "65537"], "user-page": ["4K", "2M", "1G"], "user-bytes": ["2M", "64M", "65G"],
    ]

    /// Seeded random option combinations: parse; where they parse, run (small sizes).
    @Test func optionCombinations() {
        var rng = SplitMix64(seed: 3)
        let names = Self.values.keys.sorted()
        for _ in 0..<250 {
            var given: [(String, String)] = []
            for name in names where rng.next() % 4 == 0 {
                let options = Self.values[name]!
                given.append((name, options[Int(rng.next() % UInt64(options.count))]))
            }
            if !given.contains(where: { $0.0 == "memory" }), rng.next() % 2 == 0 { given.append(("memory", "256M")) }
            expectClean(given, run: given.contains { $0 == ("memory", "256M") || $0 == ("memory", "64M") })
        }
    }

    /// `given` parses and prepares, or fails with one clean line naming an option or
    /// input; with `run`, a run that prepares also runs.
    private func expectClean(_ given: [(String, String)], run: Bool = false) {
        do {
            var spec = try RunSpec.parse(given)
            spec.verify = true
            if run { _ = try ScenarioRunner.run(spec) } else { _ = try ScenarioRunner.prepare(spec) }
        } catch {
            #expect(Self.isClean(error.description), "\(given): \(error.description)")
            #expect(error.description.hasPrefix("--") || error.description.hasPrefix("map_mem") || error.description.hasPrefix("verify"),
                    "\(given): \(error.description)")
        }
    }
}
