import LinearMap
import PageTableModel
import TLBModel

/// The access-trace half of the tlb and mosaic scenarios.
struct TLBRun {
    let access: AccessSpec
    let configuration: TLBConfiguration
    let replay: ReplayTrace?

    /// Checks the preset and reads any trace file before anything runs.
    init(_ access: AccessSpec) throws(RunError) {
        self.access = access
        do {
            configuration = try TLBConfiguration.preset(access.preset)
            try configuration.validate()
        } catch { throw RunError(named("--tlb", error.description)) }
        if case .file(let path) = access.trace {
            do { replay = try ReplayTrace(contentsOfFile: path) } catch { throw RunError(named("--trace", error.description)) }
        } else {
            replay = nil
        }
    }

    /// Bytes the TLB's entries and index and a trace file's addresses hold (an upper
    /// bound: a few hundred bytes an entry).
    var heldBytes: UInt64 {
        let entries = configuration.levels.reduce(0) { $0 + $1.entries } + (configuration.walkCache?.entries ?? 0)
        return UInt64(entries) * 512 + UInt64(replay?.count ?? 0) * 8
    }

    /// Runs the trace over `pt` through a fresh TLB attached to it.
    func run(_ pt: PageTable, _ layout: MachineLayout) throws(RunError) -> TLBMetrics {
        let tlb: SimulatedTLB
        do { tlb = try SimulatedTLB(configuration) } catch { throw RunError(error.description) }
        tlb.attach(to: pt)
        defer { pt.tlbObserver = nil }
        var consumer = Simulate(tlb: tlb, count: access.accesses)
        try drive(layout, &consumer)
        return tlb.metrics
    }

    /// The bare-walk floor of the same trace over `pt`: the descriptors it loaded.
    func bareWalk(_ pt: PageTable, _ layout: MachineLayout) throws(RunError) -> Int {
        var consumer = Walk(pt: pt, count: access.accesses)
        try drive(layout, &consumer)
        return consumer.loads
    }

    /// Hands the run's trace, from its seed's start, to `consumer`.
    private func drive<C: TraceConsumer>(_ layout: MachineLayout, _ consumer: inout C) throws(RunError) {
        let space = AddressSpace(layout: layout)
        let seed = access.seed ?? 0
        do {
            switch access.trace {
            case .uniform: var t = UniformTrace(space: space, seed: seed); consumer.consume(&t)
            case .sequential: var t = SequentialTrace(space: space, seed: seed); consumer.consume(&t)
            case .zipf(let s): var t = try ZipfTrace(space: space, exponent: s, seed: seed); consumer.consume(&t)
            case .hotset(let bytes): var t = try HotSetTrace(space: space, bytes: bytes, seed: seed); consumer.consume(&t)
            case .memcached: var t = try MemcachedTrace(space: space, seed: seed); consumer.consume(&t)
            case .file: var t = replay!; consumer.consume(&t)
            }
        } catch { throw RunError(error.description) }
    }
}

/// What a trace is driven through; generic so each generator's `next()` inlines.
private protocol TraceConsumer {
    mutating func consume<G: TraceGenerator>(_ trace: inout G)
}

private struct Simulate: TraceConsumer {
    let tlb: SimulatedTLB, count: Int
    func consume<G: TraceGenerator>(_ trace: inout G) { tlb.run(&trace, count: count) }
}

private struct Walk: TraceConsumer {
    let pt: PageTable, count: Int
    var loads = 0
    mutating func consume<G: TraceGenerator>(_ trace: inout G) { loads = BareWalk.run(pt, &trace, count: count) }
}

/// `message` led by the option it is about, once.
func named(_ option: String, _ message: String) -> String {
    message.hasPrefix(option + ":") ? message : "\(option): \(message)"
}
