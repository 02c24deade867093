import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers
import TLBModel

/// Runs one configuration: sets up the map (untimed), runs the measured operation,
/// and collects what the instrumented primitives counted.
public enum ScenarioRunner {
    /// Everything a run needs, checked before any output file is opened.
    public struct Prepared {
        public let config: RunConfig
        public let layout: MachineLayout
        let trace: OpTrace?
        let tlbRun: TLBRun?
    }

    /// What the measured operation reports besides the counters.
    struct Outcome {
        var errors = 0
        var issued = 0
        var tlb: TLBMetrics?
        var splitFraction = 0.0
    }

    public static func prepare(_ config: RunConfig) throws(RunError) -> Prepared {
        let layout: MachineLayout
        do { layout = try config.machineLayout() } catch { throw RunError(error.description) }
        try ResourceGuard.check(layout, needsFullPTEMap: config.effectiveMode == .pte || config.scenario == .repaint)
        guard config.repeats >= 1 else { throw RunError("--repeat: must be a whole number ≥ 1") }
        guard config.requests >= 0 else { throw RunError("--requests: must be a whole number ≥ 0") }
        var trace: OpTrace?
        if config.scenario == .replay {
            guard let path = config.ops else { throw RunError("--ops: the replay scenario needs --ops FILE (CSV: op,start,size,context)") }
            do { trace = try OpTrace.parse(path: path) } catch { throw RunError("--ops: \(error.description)") }
        }
        let tlbRun = [.tlb, .mosaic].contains(config.scenario) ? try TLBRun(config) : nil
        return Prepared(config: config, layout: layout, trace: trace, tlbRun: tlbRun)
    }

    public static func run(_ config: RunConfig) throws(RunError) -> RunResult {
        try run(prepare(config))
    }

    public static func run(_ prepared: Prepared) throws(RunError) -> RunResult {
        let config = prepared.config, layout = prepared.layout
        var result = RunResult(config: config, layoutName: layout.name, memoryBytes: layout.totalBytes)
        var times: [UInt64] = []
        var last: PageTable?
        for _ in 0..<config.repeats {
            let pt = try newTable(config)
            if config.scenario != .boot { try buildMap(pt, prepared) }
            let counters = pt.counters, allocated = pt.allocator.allocated, freed = pt.allocator.pagesFreed
            if let n = config.failAfter { pt.allocator.failure = .after(pt.allocator.pagesAllocated + n) }
            var outcome = Outcome()
            times.append(Calibration.time { outcome = operate(pt, prepared) })
            result.counters = pt.counters.since(counters)
            result.pagesAllocated = zip(pt.allocator.allocated, allocated).reduce(0) { $0 + $1.0.reduce(0, +) - $1.1.reduce(0, +) }
            result.pagesAllocatedAtomic = zip(pt.allocator.allocated, allocated).reduce(0) { $0 + $1.0[1] - $1.1[1] }
            result.pagesFreed = pt.allocator.pagesFreed - freed
            (result.errors, result.requestsIssued, result.splitFraction) = (outcome.errors, outcome.issued, outcome.splitFraction)
            result.tlb = outcome.tlb
            if result.tlb == nil, let tlbRun = prepared.tlbRun { result.tlb = try tlbRun.run(pt, layout, config) }
            last = pt
        }
        let pt = last!
        times.sort()
        (result.wallNs, result.wallNsMedian) = (times[0], times[times.count / 2])
        result.tableBytes = pt.allocator.tableBytes
        result.histogram = pt.leafHistogram()
        result.memTotalKB = layout.memTotalKB(pageTableBytes: pt.allocator.tableBytes)
        // A TLB run writes no descriptors: calibrate against the bytes of its address stream.
        result.calibrationBytes = UInt64(max(result.counters.totalEntriesWritten, result.tlb?.tlbAccesses ?? 0, 512)) * 8
        // Fresh tables fault their pages in: compare with a memset that does too.
        result.calibrationFirstTouch = result.pagesAllocated > 0
        result.calibrationNs = result.calibrationFirstTouch ? Calibration.firstTouchMemset(bytes: result.calibrationBytes)
                                                            : Calibration.warmMemset(bytes: result.calibrationBytes)
        if config.verify { try verify(pt, prepared) }
        return result
    }

    /// The map as the run leaves it (untimed), for ptdump.
    public static func finalMap(_ config: RunConfig) throws(RunError) -> (PageTable, MachineLayout) {
        let prepared = try prepare(config)
        let pt = try newTable(config)
        if config.scenario != .boot { try buildMap(pt, prepared) }
        _ = operate(pt, prepared)
        return (pt, prepared.layout)
    }

    static func newTable(_ config: RunConfig) throws(RunError) -> PageTable {
        do { return try PageTable(nesting: config.nesting) } catch { throw RunError(error.description) }
    }

    static func buildMap(_ pt: PageTable, _ prepared: Prepared) throws(RunError) {
        let builder = LinearMapBuilder(layout: prepared.layout, mode: prepared.config.effectiveMode,
                                       policy: prepared.config.createBarriers)
        do { try builder.build(into: pt) } catch { throw RunError("map_mem failed: \(error)") }
    }

    /// The measured operation.
    static func operate(_ pt: PageTable, _ prepared: Prepared) -> Outcome {
        let config = prepared.config, layout = prepared.layout
        let flush = TLBFlush(rangeSupport: config.tlbiRange, repeatErratum: config.repeatTLBI)
        switch config.scenario {
        case .boot:
            let builder = LinearMapBuilder(layout: layout, mode: config.effectiveMode, policy: config.createBarriers)
            return Outcome(errors: (try? builder.build(into: pt)) == nil ? 1 : 0)
        case .perm:
            return permStorm(pt, prepared, flush)
        case .repaint:
            let variant: Repaint.Variant = config.effectiveVariant == "yang-v5" ? .yangV5 : .pagewalk
            let ok = (try? Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: variant,
                                                        lazy: config.lazy, flush: flush)) != nil
            return Outcome(errors: ok ? 0 : 1, issued: 0)
        case .kfence:
            guard let pool = Kfence.placeLatePool(in: pt, layout: layout, seed: config.seed) else { return Outcome(errors: 1) }
            let variant: Kfence.Variant = config.effectiveVariant == "ce2b3a50ad92" ? .splitPool : .perGuardPage
            let ok = (try? Kfence.lateInit(pt: pt, pool: pool, variant: variant, lazy: config.lazy, flush: flush)) != nil
            return Outcome(errors: ok ? 0 : 1, issued: Kfence.protectedPages(of: pool).count)
        case .debugPagealloc:
            guard let churn = try? DebugPagealloc(pt: pt, layout: layout, beforeCE2B3A50AD92: config.beforeCE2B3A50AD92,
                                                  flush: flush) else { return Outcome(errors: 1) }
            let events = churn.churn(count: config.requests, softirq: config.softirqShare,
                                     nested: config.nestedShare, seed: config.seed)
            var errors = 0
            for e in events where (try? churn.run(e)) == nil { errors += 1 }
            return Outcome(errors: errors, issued: events.count)
        case .tlb:
            do { return Outcome(tlb: try prepared.tlbRun!.run(pt, layout, config)) } catch { return Outcome(errors: 1) }
        case .mosaic:
            let kind = config.walker ?? config.scenario.defaultWalker
            let walker = makeWalker(kind, options: walkerOptions(config, layout))
            // W1 splits page by page, so each chunk ends as PTEs and its neighbours keep the
            // largest mappings they can; the range walkers split the chunk in one call.
            let step = kind == .leaf ? pt.geometry.pageSize : pt.geometry.size(.pmd)
            let done = try? pt.mosaicSplit(fraction: config.splitFraction, seed: config.seed,
                                           from: layout.linearStart, to: layout.linearEnd) { a, b in
                for va in stride(from: a, to: b, by: Int(step)) { try walker.split(pt, from: va, to: va + step) }
            }
            guard let done else { return Outcome(errors: 1) }
            return Outcome(issued: done.splitChunks, splitFraction: done.chunks == 0 ? 0 : Double(done.splitChunks) / Double(done.chunks))
        case .replay:
            let trace = prepared.trace!
            let ok = (try? trace.replay(permissions(pt, prepared, flush), file: config.ops ?? "")) != nil
            return Outcome(errors: ok ? 0 : 1, issued: trace.records.count)
        }
    }

    static func walkerOptions(_ config: RunConfig, _ layout: MachineLayout) -> WalkerOptions {
        var options = WalkerOptions()
        options.kfencePool = layout.kfencePool.map { layout.va(ofPA: $0.start)..<layout.va(ofPA: $0.end) }
        options.lazy = config.lazy
        options.forcePTE = config.effectiveMode == .pte
        options.beforeCE2B3A50AD92 = config.beforeCE2B3A50AD92
        return options
    }

    static func permissions(_ pt: PageTable, _ prepared: Prepared, _ flush: TLBFlush) -> Permissions {
        let config = prepared.config
        let walker = makeWalker(config.walker ?? config.scenario.defaultWalker, options: walkerOptions(config, prepared.layout))
        return Permissions(pt: pt, walker: walker, flush: flush, lazy: config.lazy)
    }

    /// Each request makes its range read-only, then writable again (a module-load cycle).
    static func permStorm(_ pt: PageTable, _ prepared: Prepared, _ flush: TLBFlush) -> Outcome {
        let config = prepared.config
        let spec = config.requestPages
        let size: RequestSize = spec.powerOfTwo ? .powerOfTwo(maxLog2: spec.high.trailingZeroBitCount)
            : spec.low == spec.high ? .fixed(pages: spec.low) : .uniform(pages: spec.low...spec.high)
        let placement: RequestPlacement = config.clustered ? .clustered(clusters: 16, spreadPages: 4096) : .uniform
        guard let requests = try? PermRequests(layout: prepared.layout, count: config.requests, size: size,
                                               placement: placement, seed: config.seed) else { return Outcome(errors: 1) }
        let perms = permissions(pt, prepared, flush)
        var errors = 0
        for r in requests {
            if (try? perms.setMemoryRO(r.start, pages: r.pages)) == nil { errors += 1 }
            if (try? perms.setMemoryRW(r.start, pages: r.pages)) == nil { errors += 1 }
        }
        return Outcome(errors: errors, issued: config.requests)
    }

    /// `--verify`: the map is well formed and, where the operation keeps translations,
    /// translates every page as a freshly built map does.
    static func verify(_ pt: PageTable, _ prepared: Prepared) throws(RunError) {
        let layout = prepared.layout
        if let problem = pt.verify(linearOffset: layout.linearOffset).first {
            throw RunError("verify: malformed map: \(problem)")
        }
        guard [.boot, .perm, .repaint].contains(prepared.config.scenario) else { return }
        let fresh = try newTable(prepared.config)
        try buildMap(fresh, prepared)
        if let m = pt.firstMismatch(with: fresh, from: layout.linearStart, to: layout.linearEnd) {
            throw RunError("verify: translation changed at \(m)")
        }
    }
}
