import LinearMap
import PageTableModel
import TLBModel

/// The access-trace half of the tlb and mosaic scenarios.
struct TLBRun {
    let access: AccessSpec
    let configuration: TLBConfiguration
    let replay: ReplayTrace?
    /// The mix's non-linear regions; nil when every access goes to the linear map.
    let regions: MixRegions?

    /// Checks the preset, reads any trace file and maps any mix's regions before anything runs.
    init(_ access: AccessSpec, layout: MachineLayout) throws(RunError) {
        self.access = access
        do {
            configuration = try TLBConfiguration.preset(access.preset)
            try configuration.validate()
        } catch { throw RunError(named("--tlb", error.description)) }
        do {
            switch access.trace {
            case .file(let path): replay = try ReplayTrace(contentsOfFile: path)
            case .perf(let path): replay = try ReplayTrace(perfFile: path)
            default: replay = nil
            }
        } catch { throw RunError(named("--trace", error.description)) }
        do {
            regions = access.mix.shares.isLinearOnly ? nil : try MixRegions(access.mix, layout: layout, seed: access.seed ?? 0)
        } catch { throw RunError(error.description) }
    }

    /// Bytes the TLB's entries and index, a trace file's addresses and a mix's tables hold
    /// (an upper bound: a few hundred bytes an entry).
    var heldBytes: UInt64 {
        let entries = configuration.levels.reduce(0) { $0 + $1.entries } + (configuration.walkCache?.entries ?? 0)
        let mixTables = regions.map { MixRegions.tableBytes($0.spec) } ?? 0
        return UInt64(entries) * 512 + UInt64(replay?.count ?? 0) * 8 + mixTables
    }

    /// Runs the trace over `pt` (and a mix's regions) through a fresh TLB attached to it.
    func run(_ pt: PageTable, _ layout: MachineLayout) throws(RunError) -> TLBMetrics {
        let tlb: SimulatedTLB
        do { tlb = try SimulatedTLB(configuration) } catch { throw RunError(error.description) }
        return try walked(pt) { table throws(RunError) in
            tlb.attach(to: table)
            defer { table.tlbObserver = nil }
            var consumer = Simulate(tlb: tlb, count: access.accesses)
            try drive(layout, &consumer)
            return tlb.metrics
        }
    }

    /// The bare-walk floor of the same trace over `pt`: the descriptors it loaded.
    func bareWalk(_ pt: PageTable, _ layout: MachineLayout) throws(RunError) -> Int {
        try walked(pt) { table throws(RunError) in
            var consumer = Walk(pt: table, count: access.accesses)
            try drive(layout, &consumer)
            return consumer.loads
        }
    }

    /// `body` over the table the trace walks: `pt`, or with a mix the regions' table
    /// sharing `pt`'s linear map.
    private func walked<R>(_ pt: PageTable, _ body: (PageTable) throws(RunError) -> R) throws(RunError) -> R {
        guard let regions else { return try body(pt) }
        return try regions.withView(over: pt, body)
    }

    /// Hands the run's trace, from its seed's start, to `consumer`; with a mix, the linear
    /// trace interleaved with the regions' accesses.
    private func drive<C: TraceConsumer>(_ layout: MachineLayout, _ consumer: inout C) throws(RunError) {
        guard let regions else { return try linearTrace(layout, &consumer) }
        var mixed = Mixed(inner: consumer, regions: regions, period: access.accesses, seed: access.seed ?? 0)
        try linearTrace(layout, &mixed)
        consumer = mixed.inner
    }

    private func linearTrace<C: TraceConsumer>(_ layout: MachineLayout, _ consumer: inout C) throws(RunError) {
        let space = AddressSpace(layout: layout)
        let seed = access.seed ?? 0
        do {
            switch access.trace {
            case .uniform: var t = UniformTrace(space: space, seed: seed); consumer.consume(&t)
            case .sequential: var t = SequentialTrace(space: space, seed: seed); consumer.consume(&t)
            case .zipf(let s): var t = try ZipfTrace(space: space, exponent: s, seed: seed); consumer.consume(&t)
            case .hotset(let bytes): var t = try HotSetTrace(space: space, bytes: bytes, seed: seed); consumer.consume(&t)
            case .memcached: var t = try MemcachedTrace(space: space, seed: seed); consumer.consume(&t)
            case .file, .perf: var t = replay!; consumer.consume(&t)
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

/// Wraps each linear trace in the mix before `inner` sees it.
private struct Mixed<Inner: TraceConsumer>: TraceConsumer {
    var inner: Inner
    let regions: MixRegions, period: Int, seed: UInt64
    mutating func consume<G: TraceGenerator>(_ trace: inout G) {
        var mix = MixTrace(linear: trace, regions: regions, period: period, seed: seed)
        inner.consume(&mix)
    }
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
