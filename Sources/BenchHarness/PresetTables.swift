/// `bench kernels` and `bench cpus`: the preset tables as Markdown, from the tables the
/// parser resolves runs with.
public enum PresetTables {
    public static func kernels() -> String {
        // hotplug's --variant names its hot-remove rules.
        let keys = KernelVersion.presetOptions + ["hotplug"]
        var lines = ["| version | " + KernelVersion.presetOptions.map { "--\($0)" }.joined(separator: " | ") + " | hotplug --variant | BBML2 allowlist |",
                     "|---|" + String(repeating: "---|", count: keys.count + 1)]
        for k in KernelVersion.all {
            let cells = keys.map { k.options[$0] ?? "—" }
            lines.append("| \(k.name)\(k.name == KernelVersion.latest.name ? " (latest)" : "") | " + cells.joined(separator: " | ") + " | \(k.allowlist.rawValue) |")
        }
        lines.append("\n--repeat-tlbi is the generation a CPU that needs the workaround runs; --variant is W1's version. "
                     + "Before v6.18 a map that may change is PTE-mapped at boot and the repaint, kfence and mosaic scenarios are refused.")
        for k in KernelVersion.all {
            lines.append("\n\(k.name):" + (k.note.map { " (\($0))" } ?? ""))
            for s in k.sources { lines.append("- \(s.behaviour) — \(s.commit); verified: \(s.verified)") }
        }
        return lines.joined(separator: "\n")
    }

    public static func cpus() -> String {
        let versions = KernelVersion.all.filter(\.linearMapSplit)
        var lines = ["| --cpu | boot CPU | secondaries | " + versions.map { "BBML2 \($0.name)" }.joined(separator: " | ")
                        + " | TLBIRANGE | REPEAT_TLBI | --tlb |",
                     "|---|---|---|" + String(repeating: "---|", count: versions.count + 3)]
        for system in CPUSystem.all {
            let bbml2 = versions.map { v in system.systemBBML2(on: v) ? "all" : system.bootBBML2(on: v) ? "boot only" : "no" }
            let tlb = system.boot.tlb + (system.boot.tlbPublic ? "" : " (geometry not public)")
            lines.append("| \(system.name) | \(system.boot.name) | \(system.secondaries?.name ?? "same") | " + bbml2.joined(separator: " | ")
                         + " | \(system.tlbiRange ? "yes" : "no") | \(repeats(system)) | \(tlb) |")
        }
        lines.append("\nREPEAT_TLBI: the first version whose erratum list has a CPU of the machine (the generation is the kernel's). Cores:")
        for core in CPUSystem.all.flatMap(\.cores).uniqued(by: \.name) {
            lines.append("- \(core.name) (MIDR \(core.midr)): allowlist \(core.listedFrom?.rawValue ?? "never"); \(core.source)")
        }
        return lines.joined(separator: "\n")
    }
}

/// "v7.2+" or "no".
private func repeats(_ system: CPUSystem) -> String {
    KernelVersion.all.first { system.repeatTLBI(on: $0) }.map { "\($0.name)+" } ?? "no"
}

extension Array {
    func uniqued(by key: (Element) -> String) -> [Element] {
        var seen = Set<String>()
        return filter { seen.insert(key($0)).inserted }
    }
}
