import CStreamingStores
import Foundation
import KernelCallers
import LinearMap
import PageTableModel
import Reports
import SplitWalkers
import TLBModel

/// Runs one configuration: sets up the map (untimed), runs the measured operation,
/// and collects what the instrumented primitives counted.
public enum ScenarioRunner {
    /// Everything a run needs, checked before any output file is opened.
    public struct Prepared {
        public let spec: RunSpec
        public let layout: MachineLayout
        /// The kernel context with the layout's early kfence pool.
        let context: KernelContext
        let trace: OpTrace?
        let backings: AreaBackings?
        let tlbRun: TLBRun?
        /// The hotplug scenario's bank, right above RAM.
        let hotBank: PhysRange?
        /// The peak the memory guard checked (the layout with the hot bank): what a
        /// `--jobs` sweep sums over its running jobs.
        let peakBytes: UInt64
        /// SHA-256 of the input files, by option.
        let hashes: [String: String]
        let costModel: CostModel?
        /// The --initial-map every run of this spec starts from, checked against the layout.
        let initialMap: ImportedMap?
    }

    /// What the measured operation reports besides the counters.
    struct Outcome {
        var errors = 0
        var issued = 0
        var tlb: TLBMetrics?
        var splitFraction = 0.0
        /// Hot-removes the memory notifier refused (NOTIFY_BAD).
        var refusals = 0
        /// The churn's samples.
        var series: [ChurnSample] = []
        /// CPU time inside `operate` that is not the operation's (churn's samples).
        var untimedNs: UInt64 = 0
    }

    public static func prepare(_ spec: RunSpec) throws(RunError) -> Prepared {
        let costModel = try spec.values["cost-model"].map { m throws(RunError) in try CostModel.resolve(m) }
        let layout = try machineLayout(spec)
        var context = spec.context
        context.kfencePool = layout.kfencePool.map { layout.va(ofPA: $0.start)..<layout.va(ofPA: $0.end) }
        var hashes: [String: String] = [:]
        for (option, path) in spec.inputs {
            guard let digest = SHA256.hexDigest(ofFile: path) else { throw RunError("--\(option): cannot read '\(path)'") }
            hashes[option] = digest
        }
        var initialMap: ImportedMap?
        if case .imported(let map, _) = spec.layout {
            do {
                initialMap = try ImportedMap.load(path: map)
                try initialMap!.check(against: layout)
            } catch { throw RunError(error.description) }
        }
        var trace: OpTrace?
        var backings: AreaBackings?
        var hotBank: PhysRange?
        // The peak holds the hot bank's tables too.
        var guarded = layout
        switch spec.scenario {
        case .replay(let ops, _, _):
            do {
                trace = try OpTrace.parse(path: ops)
                try trace!.check(against: layout, file: ops)
            } catch { throw RunError("--ops: \(error.description)") }
        case .perm(let p):
            do { backings = try areaBackings(p, layout) } catch { throw RunError("--request-pages: \(error.description)") }
        case .debugPagealloc:
            do { _ = try DebugPagealloc.outerPages(in: layout) } catch { throw RunError("--layout: \(error.description)") }
        case .realmBoot(let r):
            do { _ = try realmBuffers(r, layout) } catch { throw RunError(error.description) }
        case .hotplug(let h):
            do {
                let bank = try MemoryHotplug.hotBank(above: layout, bytes: h.bytes)
                guarded = try MachineLayout(name: layout.name, banks: layout.banks + [bank], kernelImage: layout.kernelImage,
                                            stext: layout.stext, kfencePool: layout.kfencePool)
                hotBank = bank
            } catch { throw RunError("--hotplug-bytes: \(error.description)") }
        default: break
        }
        let tlbRun = try spec.access.map { a throws(RunError) in try TLBRun(a, layout: layout) }
        let extra = heldBesideTables(spec, guarded, tlbRun)
        try ResourceGuard.check(guarded, tables: tableBudget(spec), extraBytes: extra)
        let peakBytes = ResourceGuard.estimatedPeakBytes(guarded, tables: tableBudget(spec), extraBytes: extra) ?? .max
        return Prepared(spec: spec, layout: layout, context: context, trace: trace, backings: backings,
                        tlbRun: tlbRun, hotBank: hotBank, peakBytes: peakBytes, hashes: hashes, costModel: costModel,
                        initialMap: initialMap)
    }

    static func tableBudget(_ spec: RunSpec) -> ResourceGuard.TableBudget { spec.mayReachFullPTEMap ? .fullPTE : .blocks }

    /// What a run holds besides its tables: the simulated TLB and its trace, and the
    /// fresh map `--verify` compares with.
    static func heldBesideTables(_ spec: RunSpec, _ layout: MachineLayout, _ tlbRun: TLBRun?) -> UInt64 {
        let verify = spec.verify ? ResourceGuard.tableBytes(layout, tables: spec.mode == .pte ? .fullPTE : .blocks) ?? .max : 0
        let (sum, overflow) = verify.addingReportingOverflow(tlbRun?.heldBytes ?? 0)
        return overflow ? .max : sum
    }

    public static func machineLayout(_ spec: RunSpec) throws(RunError) -> MachineLayout {
        do {
            switch spec.layout {
            case .builtin(let name, let memory, let earlyKfence):
                return try MachineLayout.builtin(name, memory: memory ?? 256 << 30, earlyKfence: earlyKfence)
            case .file(let path):
                return try MachineLayout.load(path: path)
            case .imported(_, let iomem):
                return try MachineLayout.load(iomem: iomem)
            }
        } catch { throw RunError(error.description) }
    }

    public static func run(_ spec: RunSpec) throws(RunError) -> RunResult {
        try run(prepare(spec))
    }

    /// Each of `--repeat`'s timings is the typical time per run (`Calibration.repeated`)
    /// of as many runs of the operation as take `Calibration.minimumIntervalNs`, each on
    /// a freshly built map (built untimed); the counts are the first run's, so they never
    /// depend on the repeats. The reference is measured likewise: `cpu_ratio` is a ratio
    /// of per-run times. A walk-rewrite reference, and a first-touch one of at most
    /// `Calibration.interleavedFillBytes`, runs after each of the operation's runs (the
    /// walk over that run's map), so both see the same moments of a shared machine.
    public static func run(_ prepared: Prepared) throws(RunError) -> RunResult {
        let spec = prepared.spec, layout = prepared.layout
        var result = RunResult(spec: spec, layoutName: layout.name, memoryBytes: layout.totalBytes)
        result.inputHashes = prepared.hashes
        result.perfCensus = prepared.tlbRun?.replay?.census
        var times: [UInt64] = [], counted = false, last: PageTable?
        // References run after each of the operation's runs (walk-rewrite, small fills).
        var interleaved = (times: [UInt64](), loads: 0)
        for _ in 0..<spec.repeats {
            times.append(try Calibration.repeated { () throws(RunError) -> UInt64 in
                // One map at a time: each run's map is gone before the next is built.
                last = nil
                let pt = try newTable(spec)
                last = pt
                let ns: UInt64
                if counted {
                    var again = result
                    ns = try measure(pt, prepared, into: &again, counting: false)
                } else {
                    counted = true
                    ns = try measure(pt, prepared, into: &result)
                    result.calibrationKind = calibrationKind(result, prepared, pt.geometry)
                }
                switch result.calibrationKind {
                case .walkRewrite:
                    let reference = WalkRewrite.time(pt, layout, descents: result.counters.walks, stores: result.counters.totalEntriesWritten)
                    interleaved.times.append(reference.ns)
                    interleaved.loads = reference.loads
                case .firstTouch where fillBytes(result) <= Calibration.interleavedFillBytes:
                    interleaved.times.append(Calibration.firstTouchMemsetOnce(bytes: fillBytes(result)))
                default:
                    break
                }
                return ns
            }.ns)
        }
        try describeFinalMap(last!, prepared, into: &result)
        times.sort()
        result.estimatedNs = prepared.costModel?.estimateNs(result)
        (result.cpuNs, result.cpuNsMedian) = (times[0], times[times.count / 2])
        switch result.calibrationKind {
        case .walkRewrite:
            result.calibrationNs = Calibration.typical(interleaved.times)
            result.calibrationBytes = UInt64(interleaved.loads) * 8
        case .bareWalk:
            // Over the tables the run left, before they are freed.
            let pt = last!
            var loads = 0
            result.calibrationNs = try Calibration.repeated { () throws(RunError) -> UInt64 in
                let start = Calibration.cpuNow()
                loads = try prepared.tlbRun!.bareWalk(pt, layout)
                return Calibration.cpuNow() - start
            }.ns
            result.calibrationBytes = UInt64(loads) * 8
        case .none:
            break
        case .firstTouch:
            result.calibrationBytes = fillBytes(result)
            if interleaved.times.isEmpty {
                last = nil
                // Calibrated with the tables freed, so the process never holds both.
                result.calibrationNs = Calibration.firstTouchMemset(bytes: result.calibrationBytes)
            } else {
                result.calibrationNs = Calibration.typical(interleaved.times)
            }
        }
        return result
    }

    /// The bytes a first-touch reference writes: 8 per descriptor the run wrote, 4 KiB at least.
    static func fillBytes(_ result: RunResult) -> UInt64 { UInt64(max(result.counters.totalEntriesWritten, 512)) * 8 }

    /// A TLB run (its operation is the trace) is timed against the bare walk of that
    /// trace; one that filled new tables (they can hold at least a quarter of what
    /// it wrote: a split writes each new table whole, a mosaic then rewrites it) against a
    /// memset of the bytes written into fresh pages, whose pages fault in as the tables'
    /// do; the rest rewrote descriptors in place (or only walked) and descend the map and
    /// store as often (`WalkRewrite`), unless they did neither.
    static func calibrationKind(_ result: RunResult, _ prepared: Prepared, _ geometry: Geometry) -> CalibrationKind {
        let written = result.counters.totalEntriesWritten
        if case .tlb = prepared.spec.scenario { return .bareWalk }
        let filled = result.pagesAllocated * geometry.entriesPerTable
        if filled * 4 >= written && result.pagesAllocated > 0 { return .firstTouch }
        return result.counters.walks == 0 && written == 0 ? .none : .walkRewrite
    }

    /// Builds the starting map (untimed), then times the operation; its counts go into
    /// `result`. A repeat that is not `counting` skips the untimed access trace.
    static func measure(_ pt: PageTable, _ prepared: Prepared, into result: inout RunResult,
                        counting: Bool = true) throws(RunError) -> UInt64 {
        if startsBuilt(prepared) { try buildMap(pt, prepared) }
        let counters = pt.counters, allocated = pt.allocator.allocated, freed = pt.allocator.pagesFreed
        if let n = prepared.spec.failAfter {
            // Saturating: a --fail-after beyond any run's allocations never fails.
            let (limit, overflow) = pt.allocator.pagesAllocated.addingReportingOverflow(n)
            pt.allocator.failure = .after(overflow ? .max : limit)
        }
        var outcome = Outcome()
        // The bracket is what `bench perfcheck` counts under callgrind: the counted run only,
        // as how many runs make 50 ms depends on the clock.
        let time = Calibration.time {
            if counting { splitbench_measure_begin() }
            outcome = operate(pt, prepared, counting: counting)
            if counting { splitbench_measure_end() }
        }
        result.counters = pt.counters.since(counters)
        result.pagesAllocated = zip(pt.allocator.allocated, allocated).reduce(0) { $0 + $1.0.reduce(0, +) - $1.1.reduce(0, +) }
        result.pagesAllocatedAtomic = zip(pt.allocator.allocated, allocated).reduce(0) { $0 + $1.0[1] - $1.1[1] }
        result.pagesFreed = pt.allocator.pagesFreed - freed
        (result.errors, result.requestsIssued, result.splitFraction) = (outcome.errors, outcome.issued, outcome.splitFraction)
        result.hotplugRefusals = outcome.refusals
        result.tlb = outcome.tlb
        result.series = outcome.series
        if counting, result.tlb == nil, let tlbRun = prepared.tlbRun { result.tlb = try tlbRun.run(pt, prepared.layout) }
        return time - outcome.untimedNs
    }

    /// What the map holds at the end, and `--verify`'s checks of it.
    static func describeFinalMap(_ pt: PageTable, _ prepared: Prepared, into result: inout RunResult) throws(RunError) {
        result.tableBytes = pt.allocator.tableBytes
        (result.histogram, result.directMap) = pt.leafCensus()
        result.memTotalKB = prepared.layout.memTotalKB(pageTableBytes: pt.allocator.tableBytes)
        if prepared.spec.verify { try verify(pt, prepared, bootFailed: prepared.spec.kind == .boot && result.errors > 0) }
    }

    /// The map as the run leaves it (untimed), for ptdump.
    public static func finalMap(_ spec: RunSpec) throws(RunError) -> (PageTable, MachineLayout) {
        let prepared = try prepare(spec)
        let pt = try newTable(spec)
        if startsBuilt(prepared) { try buildMap(pt, prepared) }
        _ = operate(pt, prepared, counting: false)
        return (pt, prepared.layout)
    }

    static func newTable(_ spec: RunSpec) throws(RunError) -> PageTable {
        do { return try PageTable(nesting: spec.context.nesting) } catch { throw RunError(error.description) }
    }

    /// Boot as the kernel ran it. The create path and the boot stage are boot parameters;
    /// every other scenario starts from a fully booted map (alias read-only, as on a real
    /// kernel), built with v6.10+'s create path, and counts from there on.
    static func booting(_ prepared: Prepared) -> (builder: LinearMapBuilder, stage: BootStage) {
        var (path, stage) = (CreatePath.current, BootStage.full)
        if case .boot(_, let p, let s) = prepared.spec.scenario { (path, stage) = (p, s) }
        let builder = LinearMapBuilder(layout: prepared.layout, mode: prepared.spec.mode, variant: prepared.context.mapMem,
                                       path: path, flush: TLBFlush(prepared.context), ngMappings: prepared.context.ngMappings)
        return (builder, stage)
    }

    static func boot(_ pt: PageTable, _ prepared: Prepared) throws(KernelError) {
        let (builder, stage) = booting(prepared)
        try builder.boot(into: pt, through: stage, context: prepared.context)
    }

    /// Every scenario but boot starts from a built map; so does boot on an --initial-map,
    /// which then measures nothing.
    static func startsBuilt(_ prepared: Prepared) -> Bool { prepared.spec.kind != .boot || prepared.initialMap != nil }

    /// The map every scenario but boot starts from: booted, and on a machine whose boot
    /// CPU alone has BBML2_NOABORT, repainted when the secondaries came up — or the
    /// --initial-map as it was captured (any repaint already in it).
    static func buildMap(_ pt: PageTable, _ prepared: Prepared) throws(RunError) {
        do {
            if let map = prepared.initialMap {
                try map.build(into: pt, layout: prepared.layout)
            } else {
                try boot(pt, prepared)
            }
            // A hotplug machine's boot also has sparse_init's memmap of the boot banks.
            if case .hotplug = prepared.spec.scenario {
                try MemoryHotplug(pt: pt, layout: prepared.layout, context: prepared.context).populateBootMemmap()
            }
        } catch { throw RunError("boot failed: \(error)") }
        guard prepared.initialMap == nil, prepared.spec.kind != .repaint, prepared.spec.repaintRuns else { return }
        do { try Repaint.linearMapSplitToPTEs(pt: pt, layout: prepared.layout, variant: .pagewalk, context: prepared.context) }
        catch { throw RunError("repaint at SMP bring-up failed: \(error)") }
    }

    /// The measured operation.
    /// `counting`: the counted run, whose callgrind bracket is open.
    static func operate(_ pt: PageTable, _ prepared: Prepared, counting: Bool) -> Outcome {
        let layout = prepared.layout, context = prepared.context
        switch prepared.spec.scenario {
        case .boot:
            guard prepared.initialMap == nil else { return Outcome() }
            return Outcome(errors: (try? boot(pt, prepared)) == nil ? 1 : 0)
        case .perm:
            return permLifecycle(pt, prepared)
        case .repaint(let variant):
            let ok = (try? Repaint.linearMapMaybeSplitToPTEs(pt: pt, layout: layout, variant: variant,
                                                             mappedBlocks: prepared.spec.mode == .block, context: context)) != nil
            return Outcome(errors: ok ? 0 : 1)
        case .kfence(let variant, let seed):
            guard let pool = Kfence.placeLatePool(in: pt, layout: layout, seed: seed) else { return Outcome(errors: 1) }
            let ok = (try? Kfence.lateInit(pt: pt, pool: pool, variant: variant, context: context)) != nil
            return Outcome(errors: ok ? 0 : 1, issued: Kfence.protectedPages(of: pool).count)
        case .debugPagealloc(let d):
            guard let churn = try? DebugPagealloc(pt: pt, layout: layout, context: context) else { return Outcome(errors: 1) }
            let events = churn.churn(count: d.events, softirq: d.softirqShare, nested: d.nestedShare, seed: d.seed)
            var errors = 0
            for e in events where (try? churn.run(e)) == nil { errors += 1 }
            return Outcome(errors: errors, issued: events.count)
        case .tlb:
            do { return Outcome(tlb: try prepared.tlbRun!.run(pt, layout)) } catch { return Outcome(errors: 1) }
        case .mosaic(let m):
            return mosaic(pt, m, prepared, counting: counting)
        case .realmBoot(let r):
            guard let buffers = try? realmBuffers(r, layout) else { return Outcome(errors: 1) }
            let done = RealmBoot(pt: pt, layout: layout, context: context).run(buffers)
            return Outcome(errors: done.failed, issued: done.calls)
        case .hotplug(let h):
            return hotplugCycle(pt, h, prepared)
        case .churn(let c):
            return churn(pt, c, prepared, counting: counting)
        case .replay(let ops, let walker, _):
            let trace = prepared.trace!
            let perms = Permissions(pt: pt, context: context, walker: walker, vmalloc: VmallocSpace(linearOffset: layout.linearOffset))
            // Every failed record counts (set_memory_ro on a linear address: EINVAL), and the
            // replay goes on, as the kernel's callers do.
            let failed = (try? trace.replay(perms, layout: layout, file: ops, stopOnError: false)) ?? trace.records.count
            return Outcome(errors: failed, issued: trace.records.count)
        }
    }

    /// Runs `body`, work inside `operate` that observes the map rather than being the
    /// operation, outside perfcheck's callgrind bracket (open when `bracketed`); its CPU
    /// time, which the operation's time leaves out (`Outcome.untimedNs`).
    static func untimed(bracketed: Bool, _ body: () -> Void) -> UInt64 {
        if bracketed { splitbench_measure_end() }
        let start = Calibration.cpuNow()
        body()
        let ns = Calibration.cpuNow() - start
        if bracketed { splitbench_measure_begin() }
        return ns
    }

    /// W1 splits page by page, so each chunk ends as PTEs and its neighbours keep the
    /// largest mappings they can; the range walkers split the chunk in one call.
    static func mosaic(_ pt: PageTable, _ m: MosaicSpec, _ prepared: Prepared, counting: Bool) -> Outcome {
        let walker = makeWalker(m.walker, options: WalkerOptions(context: prepared.context))
        let step = m.walker == .leaf ? pt.geometry.pageSize : pt.geometry.size(.pmd)
        let done = try? pt.mosaicSplit(fraction: m.fraction, seed: m.seed,
                                       from: prepared.layout.linearStart, to: prepared.layout.linearEnd) { a, b in
            for va in stride(from: a, to: b, by: Int(step)) { try walker.split(pt, from: va, to: va + step) }
        }
        guard let done else { return Outcome(errors: 1) }
        // What the walker really split: W1 returns early on a PTE-mapped kernel, leaving
        // the chunks it was handed (the kernel alias's blocks) as they were. A census of
        // the whole map, not the operation.
        var left = 0
        let census = untimed(bracketed: counting) { left = pt.blockChunks(from: prepared.layout.linearStart, to: prepared.layout.linearEnd) }
        var outcome = Outcome(issued: done.splitChunks, splitFraction: done.chunks == 0 ? 0 : Double(done.chunks - left) / Double(done.chunks))
        outcome.untimedNs = census
        return outcome
    }

    static func realmBuffers(_ r: RealmBootSpec, _ layout: MachineLayout) throws(LayoutError) -> RealmBoot.Buffers {
        try RealmBoot.place(in: layout, swiotlbBytes: r.swiotlbBytes, itsBytes: r.itsBytes, seed: r.seed)
    }

    static func areaBackings(_ p: PermSpec, _ layout: MachineLayout) throws(LayoutError) -> AreaBackings {
        try AreaBackings(layout: layout, count: p.requests, size: requestSize(p.size), placement: p.placement, seed: p.seed)
    }

    static func requestSize(_ s: RequestPagesSpec) -> RequestSize {
        s.powerOfTwo ? .powerOfTwo(maxLog2: s.high.trailingZeroBitCount) : s.low == s.high ? .fixed(pages: s.low) : .uniform(pages: s.low...s.high)
    }

    /// Each area's lifecycle, as module load and unload (or a BPF program's JIT and free) run
    /// it: vmalloc (its own tables and PTEs: part of the measured operation, as the kernel
    /// maps the area right before it changes it), set_memory_ro or set_memory_rox over the
    /// whole area, then vfree with VM_FLUSH_RESET_PERMS. Every failing call counts an error.
    static func permLifecycle(_ pt: PageTable, _ prepared: Prepared) -> Outcome {
        guard case .perm(let p) = prepared.spec.scenario else { return Outcome() }
        let perms = Permissions(pt: pt, context: prepared.context, walker: p.walker,
                                vmalloc: VmallocSpace(linearOffset: prepared.layout.linearOffset))
        return Outcome(errors: areaLifecycles(perms, prepared.backings!, p.change), issued: p.requests)
    }

    /// vmalloc, the change, vfree, for each area; the failed calls.
    static func areaLifecycles(_ perms: Permissions, _ backings: some Sequence<[UInt64]>, _ change: PermChange) -> Int {
        var errors = 0
        for backing in backings {
            guard let area = try? perms.vmalloc(backing: backing) else { errors += 1; continue }
            let changed: ()? = switch change {
            case .ro: try? perms.setMemoryRO(area.addr, pages: area.pages)
            case .rox: try? perms.setMemoryROX(area.addr, pages: area.pages)
            }
            if changed == nil { errors += 1 }
            if (try? perms.vfree(area.addr)) == nil { errors += 1 }
        }
        return errors
    }

    /// Hot-add the bank (arch_add_memory and its memmap), churn vmalloc areas backed by
    /// its pages — module-style set_memory_ro, then vfree with VM_FLUSH_RESET_PERMS, the
    /// caller that changes real kernels' linear maps page by page — then hot-remove the
    /// requested part: refused (counted) or torn down. A failed add counts an error.
    static func hotplugCycle(_ pt: PageTable, _ h: HotplugSpec, _ prepared: Prepared) -> Outcome {
        let bank = prepared.hotBank!, context = prepared.context
        let hot = MemoryHotplug(pt: pt, layout: prepared.layout, context: context)
        guard (try? hot.addMemory(bank)) != nil else { return Outcome(errors: 1) }
        let perms = Permissions(pt: pt, context: context, vmalloc: VmallocSpace(linearOffset: prepared.layout.linearOffset))
        let backings = hot.backings(in: bank, count: h.areas, size: requestSize(h.size), seed: h.seed)
        let errors = areaLifecycles(perms, backings, .ro)
        let removed = hot.removeMemory(PhysRange(start: bank.start, size: h.removeBytes))
        return Outcome(errors: errors, issued: h.areas, refusals: removed ? 0 : 1)
    }

    /// `--verify`: the map is well formed and, where the operation keeps translations,
    /// translates every page as a freshly built map does. A boot that failed (injected
    /// ENOMEM) leaves a partial map by design; splits that failed leave translations whole.
    static func verify(_ pt: PageTable, _ prepared: Prepared, bootFailed: Bool) throws(RunError) {
        let layout = prepared.layout
        if let problem = pt.verify(linearOffset: layout.linearOffset).first {
            throw RunError("verify: malformed map: \(problem)")
        }
        guard [.boot, .perm, .repaint].contains(prepared.spec.kind), !bootFailed else { return }
        let fresh = try newTable(prepared.spec)
        try buildMap(fresh, prepared)
        if let m = pt.firstMismatch(with: fresh, from: layout.linearStart, to: layout.linearEnd) {
            throw RunError("verify: translation changed at \(m)")
        }
    }
}
