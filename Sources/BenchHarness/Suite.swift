import LinearMap
import SplitWalkers
import PageTableModel

/// The default suite: the 256 GiB questions of the 2025 arm64 threads, every walker with
/// lazy MMU on and off.
public enum Suite {
    public static func configs(memory: UInt64 = 256 << 30, seed: UInt64 = 1) -> [RunConfig] {
        var base = RunConfig()
        base.memory = memory
        base.seed = seed
        func with(_ edit: (inout RunConfig) -> Void) -> RunConfig {
            var c = base
            edit(&c)
            return c
        }
        var configs: [RunConfig] = []
        for mode in [MappingMode.block, .pte] {
            configs.append(with { $0.scenario = .boot; $0.mode = mode })
        }
        configs.append(with { $0.scenario = .boot; $0.mode = .pte; $0.createBarriers = .perEntry })
        for variant in ["v6.18", "yang-v5"] {
            for lazy in [true, false] {
                configs.append(with { $0.scenario = .repaint; $0.variant = variant; $0.lazy = lazy })
            }
        }
        for walker in WalkerKind.allCases {
            for lazy in [true, false] {
                configs.append(with { $0.scenario = .perm; $0.walker = walker; $0.lazy = lazy })
            }
        }
        for variant in ["ce2b3a50ad92", "before-ce2b3a50ad92"] {
            for lazy in [true, false] {
                configs.append(with { $0.scenario = .kfence; $0.variant = variant; $0.lazy = lazy })
            }
        }
        for nesting in NestingPolicy.allCases {
            for before in [false, true] {
                configs.append(with {
                    $0.scenario = .debugPagealloc; $0.nesting = nesting; $0.beforeCE2B3A50AD92 = before
                    $0.requests = 2000
                })
            }
        }
        return configs
    }
}
