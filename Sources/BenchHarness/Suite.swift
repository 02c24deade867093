import KernelCallers
import LinearMap
import SplitWalkers
import PageTableModel

/// The default suite: the 256 GiB questions of the 2025 arm64 threads, every walker with
/// lazy MMU on and off.
public enum Suite {
    /// The suite's runs, each built from option texts by the one parser `run` uses.
    public static func specs(memory: String = "256G", seed: String = "1") -> [RunSpec] {
        // The suite's own option texts are valid by construction.
        options(memory: memory, seed: seed).map { try! RunSpec.parse($0) }
    }

    /// Each run's option texts (what a `--jobs` child is given).
    public static func options(memory: String = "256G", seed: String = "1") -> [[(String, String)]] {
        var runs: [[(String, String)]] = []
        func add(_ scenario: Scenario, _ options: (String, String)...) {
            var given = [("scenario", scenario.rawValue), ("memory", memory)] + options
            if Parameter.named("seed")!.scenarios.contains(scenario) { given.append(("seed", seed)) }
            runs.append(given)
        }
        let onOff = ["on", "off"]
        add(.boot, ("mode", "block"))
        // Ryan Roberts' four create-path states, at pte (v6.10+'s is the default).
        for path in CreatePath.allCases where path != .current { add(.boot, ("mode", "pte"), ("create-path", path.rawValue)) }
        add(.boot, ("mode", "pte"))
        for variant in Parameter.variants(of: .repaint) { for lazy in onOff { add(.repaint, ("variant", variant), ("lazy", lazy)) } }
        for walker in WalkerKind.allCases { for lazy in onOff { add(.perm, ("walker", walker.rawValue), ("lazy", lazy)) } }
        add(.perm, ("change", PermChange.rox.rawValue))
        add(.perm, ("placement", BackingPlacement.contiguous.rawValue))
        for variant in Parameter.variants(of: .kfence) { for lazy in onOff { add(.kfence, ("variant", variant), ("lazy", lazy)) } }
        for nesting in NestingPolicy.allCases {
            for variant in Parameter.variants(of: .debugPagealloc) {
                add(.debugPagealloc, ("nesting", nesting.rawValue), ("variant", variant), ("requests", "2000"))
            }
        }
        for mode in MappingMode.allCases { add(.tlb, ("mode", mode.rawValue)) }
        for mode in MappingMode.allCases {
            for fraction in ["0", "0.01", "0.1", "0.5", "1"] { add(.mosaic, ("mode", mode.rawValue), ("split-fraction", fraction)) }
        }
        // What each kernel version did on the same machine, for the summary's version lines.
        for kernel in KernelVersion.names {
            let split = KernelVersion.named(kernel)!.linearMapSplit
            add(.boot, ("kernel", kernel))
            add(.perm, ("kernel", kernel))
            add(.debugPagealloc, ("kernel", kernel), ("requests", "2000"))
            add(.realmBoot, ("kernel", kernel))
            add(.hotplug, ("kernel", kernel))
            if split { add(.repaint, ("kernel", kernel)); add(.kfence, ("kernel", kernel)) }
        }
        return runs
    }
}
