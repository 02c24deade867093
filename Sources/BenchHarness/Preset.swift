import LinearMap
import SplitWalkers

/// How `--kernel` and `--cpu` fill in the options they select: each preset value is the
/// option's own word, so a preset and an explicit option go through the same row.
public enum Preset {
    /// Every option --kernel or --cpu may fill in.
    public static var selected: Set<String> { machineOptions.union(KernelVersion.presetOptions) }

    /// The word the run's kernel and machine select for `option`, or nil when they leave it
    /// to the option's own default. Reads only rows above `option` in `Parameter.all`.
    static func value(_ option: String, _ v: ParameterValues) -> String? {
        guard let kernel = v["kernel"].flatMap(KernelVersion.named), let cpu = v["cpu"].flatMap(CPUSystem.named) else { return nil }
        switch option {
        case "bbml2":
            return (cpu.systemBBML2(on: kernel) ? BBML2Support.all : cpu.bootBBML2(on: kernel) ? .bootOnly : .none).rawValue
        case "mode":
            return bbml2(v) == .none ? MappingMode.pte.rawValue : MappingMode.block.rawValue
        case "tlbi-range":
            return cpu.tlbiRange ? "on" : "off"
        case "repeat-tlbi":
            return cpu.repeatTLBI(on: kernel) ? kernel.options[option] : "off"
        case "tlb":
            return cpu.boot.tlb
        case "variant":
            // The W1 version, where the variant is one; repaint, kfence and churn keep their own.
            if v.scenario == .hotplug { return kernel.options["hotplug"] }
            return [.repaint, .kfence, .churn].contains(v.scenario) ? nil : kernel.options[option]
        default:
            return kernel.options[option]
        }
    }

    /// The options --cpu fills in from the machine and the kernel together.
    static let machineOptions: Set<String> = ["bbml2", "mode", "tlbi-range", "repeat-tlbi", "tlb"]

    /// The BBML2 support a run has: none before v6.18, where the option does not apply.
    static func bbml2(_ v: ParameterValues) -> BBML2Support {
        v["bbml2"].flatMap(BBML2Support.init) ?? .none
    }

    /// The kernel and machine `scenario` runs on when no option names them.
    static func defaults(_ scenario: Scenario) -> ParameterValues {
        var v = ParameterValues(scenario: scenario, texts: [:])
        for name in ["kernel", "cpu", "bbml2"] {
            let p = Parameter.named(name)!
            if let text = p.fallback(scenario) ?? value(name, v) { v = v.setting(name, text) }
        }
        return v
    }
}
