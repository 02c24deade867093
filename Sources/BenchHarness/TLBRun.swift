import LinearMap
import PageTableModel
import TLBModel

/// The access-trace half of the tlb and mosaic scenarios.
struct TLBRun {
    let configuration: TLBConfiguration
    let replay: ReplayTrace?

    static let kinds = ["uniform", "sequential", "zipf", "hotset", "memcached"]

    /// Checks the preset and the trace before anything runs.
    init(_ config: RunConfig) throws(RunError) {
        do {
            configuration = try TLBConfiguration.preset(config.tlbPreset)
            try configuration.validate()
            replay = Self.kinds.contains(config.trace) ? nil : try ReplayTrace(contentsOfFile: config.trace)
        } catch { throw RunError(error.description) }
        guard config.zipfExponent > 0 else { throw RunError("--zipf: Zipf s must be > 0") }
    }

    /// Runs the trace over `pt` through a fresh TLB attached to it.
    func run(_ pt: PageTable, _ layout: MachineLayout, _ config: RunConfig) throws(RunError) -> TLBMetrics {
        let tlb: SimulatedTLB
        do { tlb = try SimulatedTLB(configuration) } catch { throw RunError(error.description) }
        tlb.attach(to: pt)
        defer { pt.tlbObserver = nil }
        let space = AddressSpace(layout: layout)
        let n = config.accesses, seed = config.seed
        do {
            switch config.trace {
            case "uniform": var t = UniformTrace(space: space, seed: seed); tlb.run(&t, count: n)
            case "sequential": var t = SequentialTrace(space: space, seed: seed); tlb.run(&t, count: n)
            case "zipf": var t = try ZipfTrace(space: space, exponent: config.zipfExponent, seed: seed); tlb.run(&t, count: n)
            case "hotset": var t = try HotSetTrace(space: space, bytes: config.workingSet, seed: seed); tlb.run(&t, count: n)
            case "memcached": var t = try MemcachedTrace(space: space, seed: seed); tlb.run(&t, count: n)
            default: var t = replay!; tlb.run(&t, count: n)
            }
        } catch { throw RunError(error.description) }
        return tlb.metrics
    }
}
