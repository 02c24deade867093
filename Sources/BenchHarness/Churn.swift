import CStreamingStores
import KernelCallers
import LinearMap
import PageTableModel
import TLBModel

/// What frees and module text do to the linear map in the churn scenario.
public enum ChurnVariant: String, Sendable, CaseIterable {
    /// What arm64 does: a split linear-map entry is never merged back (spec §12).
    case arm64
    /// x86-style: after each vfree, the restored aliases' 2 MiB / 1 GiB ranges are collapsed
    /// back to blocks where they allow it (`Permissions.collapseLinearMap`).
    case collapse
    /// Module text from the execmem ROX cache: PMD-sized blocks made ROX once (`ExecmemCache`).
    case roxCache = "rox-cache"
}

/// The churn scenario: `events` seeded allocations and frees of module / BPF-like vmalloc
/// areas on a booted map, sampled every `sampleEvery` events.
public struct ChurnSpec: Sendable, Equatable {
    /// The mapping comes from the kernel context (force_pte_mapping), as for hotplug.
    public var variant: ChurnVariant
    public var events: Int, sampleEvery: Int
    /// The number of live areas the allocate/free mix drifts towards.
    public var liveAreas: Int
    /// Module areas' sizes in pages; a BPF prog pack is always `ChurnRun.packPages`.
    public var size: RequestPagesSpec
    /// Of the allocations: the share that are BPF prog packs, and of the module areas the
    /// share that are text (set_memory_rox; the rest set_memory_ro, as rodata).
    public var packShare: Double, textShare: Double
    /// Free every live area after the events.
    public var drain: Bool
    public var seed: UInt64
    /// The fixed trace each sample runs through a fresh TLB.
    public var access: AccessSpec
}

/// The map after one event of a churn run. Counts are cumulative from the run's start.
public struct ChurnSample: Sendable, Equatable, Codable {
    public var event = 0, liveAreas = 0
    public var histogram = LeafHistogram()
    public var tableBytes = 0
    public var counters = Counters()
    public var pagesAllocated = 0, pagesFreed = 0
    /// set_memory_ro / set_memory_rox calls made, and ROX cache blocks populated.
    public var setMemoryCalls = 0, cacheBlocks = 0
    /// The sample's trace: dtlb walks per 1,000 accesses (nil when the trace failed).
    public var walksPer1k: Double?
}

/// One churn run's lifecycle over a booted map.
struct ChurnRun {
    /// BPF_PROG_PACK_SIZE on a one-node machine: SZ_2M * num_possible_nodes() (kernel/bpf/core.c).
    static let packPages = 512

    let spec: ChurnSpec
    let pt: PageTable
    let layout: MachineLayout
    let perms: Permissions
    let tlbRun: TLBRun
    /// The counted run's callgrind bracket is open: a sample closes it while it runs.
    let bracketed: Bool

    private enum Kind { case pack, text, data }
    private struct Live {
        var addr: UInt64, pages: Int, backing: [UInt64], cached: Bool
    }

    /// The events, then the drain; samples at event 0, every `sampleEvery` events and at the end.
    /// The events; `sampleNs` is the CPU time the samples took, which is not the operation's.
    func run() -> (samples: [ChurnSample], tlb: TLBMetrics?, errors: Int, events: Int, sampleNs: UInt64) {
        var rng = SplitMix64(seed: spec.seed)
        // The backing pages' stream, apart from the events' choices.
        guard let stream = try? PermRequests(layout: layout, count: .max, size: .fixed(pages: 1), seed: spec.seed ^ 0xc4a2_7e00)
        else { return ([], nil, 1, 0, 0) }
        let pages = stream.makeIterator()
        let pieces = layout.ordinaryPieces
        let cache = ExecmemCache()
        let startCounters = pt.counters
        let startAllocated = pt.allocator.pagesAllocated, startFreed = pt.allocator.pagesFreed
        var live: [Live] = [], inUse = Set<UInt64>()
        // Blocks come back only where the kernel maps blocks and may change them live.
        let collapses = spec.variant == .collapse && perms.context.systemBBML2 && !perms.context.forcePTEMapping
        var samples: [ChurnSample] = [], errors = 0, calls = 0, event = 0, tlb: TLBMetrics?, sampleNs: UInt64 = 0

        // A sample reads the whole map and runs a trace through a fresh TLB: the observer's
        // work, untimed and outside perfcheck's bracket.
        func sample() {
            sampleNs += ScenarioRunner.untimed(bracketed: bracketed) {
                var s = ChurnSample(event: event, liveAreas: live.count, histogram: pt.leafHistogram(),
                                    tableBytes: pt.allocator.tableBytes, counters: pt.counters.since(startCounters),
                                    pagesAllocated: pt.allocator.pagesAllocated - startAllocated,
                                    pagesFreed: pt.allocator.pagesFreed - startFreed, setMemoryCalls: calls,
                                    cacheBlocks: cache.blockCount)
                tlb = try? tlbRun.run(pt, layout)
                s.walksPer1k = tlb?.walksPer1kAccesses
                samples.append(s)
            }
        }
        /// A page the page allocator can hand out: free, and its alias mapped as RAM is
        /// (boot leaves some image-adjacent pages invalid; the map's read-only text alias).
        func allocatable(_ va: UInt64) -> Bool { !inUse.contains(va) && mappedAsRAM(va) }
        func mappedAsRAM(_ va: UInt64) -> Bool {
            guard let t = pt.translate(va) else { return false }
            return t.attributes & Descriptor.rdonly == 0
        }
        /// `n` distinct free order-0 pages, as linear-map VAs.
        func scattered(_ n: Int) -> [UInt64] {
            distinctPages(n, from: { pages.next()?.start }, taken: &inUse, where: mappedAsRAM)
        }
        /// A free PMD-aligned run of 512 physical pages in one piece, as linear-map VAs.
        func pmdRun() -> [UInt64] {
            let g = pt.geometry
            while let p = pages.next() {
                let pa = alignDown(p.start &+ layout.linearOffset, g.size(.pmd))
                let run = (0..<UInt64(g.entriesPerTable)).map { layout.va(ofPA: pa + $0 * g.pageSize) }
                guard pieces.contains(where: { $0.contains(PhysRange(start: pa, size: g.size(.pmd))) }),
                      run.allSatisfy(allocatable) else { continue }
                inUse.formUnion(run)
                return run
            }
            return []
        }
        func allocate() {
            let kind: Kind = rng.nextDouble() < spec.packShare ? .pack : rng.nextDouble() < spec.textShare ? .text : .data
            let n = kind == .pack ? Self.packPages : moduleSize.draw(&rng)
            if spec.variant == .roxCache, kind == .text, n <= Self.packPages {
                var addr = cache.allocate(pages: n)
                if addr == nil {
                    calls += 1
                    if (try? cache.populate(perms, backing: pmdRun())) != nil { addr = cache.allocate(pages: n) }
                }
                guard let addr else { errors += 1; return }
                live.append(Live(addr: addr, pages: n, backing: [], cached: true))
                return
            }
            let backing = scattered(n)
            guard let area = try? perms.vmalloc(backing: backing) else {
                inUse.subtract(backing)
                errors += 1
                return
            }
            calls += 1
            let changed: ()? = kind == .data ? try? perms.setMemoryRO(area.addr, pages: n) : try? perms.setMemoryROX(area.addr, pages: n)
            if changed == nil { errors += 1 }
            live.append(Live(addr: area.addr, pages: n, backing: backing, cached: false))
        }
        func free(_ k: Int) {
            let area = live.remove(at: k)
            if area.cached { cache.free(area.addr, pages: area.pages); return }
            if (try? perms.vfree(area.addr)) == nil { errors += 1 }
            inUse.subtract(area.backing)
            if collapses { perms.collapseLinearMap(around: area.backing) }
        }

        sample()
        while event < spec.events {
            event += 1
            // Allocation is likelier the fewer areas live: the mix drifts to `liveAreas`.
            let pAllocate = 1 - Double(live.count) / Double(2 * spec.liveAreas)
            if live.isEmpty || rng.nextDouble() < pAllocate { allocate() } else { free(Int(rng.below(UInt64(live.count)))) }
            if event % spec.sampleEvery == 0 { sample() }
        }
        if spec.drain {
            while !live.isEmpty {
                event += 1
                free(live.count - 1)
                if event % spec.sampleEvery == 0 { sample() }
            }
        }
        if samples.last?.event != event { sample() }
        return (samples, tlb, errors, event, sampleNs)
    }

    /// A module area's size, as `--request-pages` says; a fixed size is a one-value range,
    /// whose draw takes a number from the stream as a range's does.
    private var moduleSize: RequestSize {
        spec.size.powerOfTwo ? .powerOfTwo(maxLog2: spec.size.high.trailingZeroBitCount) : .uniform(pages: spec.size.low...spec.size.high)
    }
}

extension ScenarioRunner {
    /// The churn scenario's operation: its samples ride in the outcome, the last one's
    /// trace is the row's.
    static func churn(_ pt: PageTable, _ c: ChurnSpec, _ prepared: Prepared, counting: Bool) -> Outcome {
        let perms = Permissions(pt: pt, context: prepared.context, vmalloc: VmallocSpace(linearOffset: prepared.layout.linearOffset))
        let run = ChurnRun(spec: c, pt: pt, layout: prepared.layout, perms: perms, tlbRun: prepared.tlbRun!,
                           bracketed: counting)
        let (samples, tlb, errors, events, sampleNs) = run.run()
        var outcome = Outcome(errors: errors, issued: events, tlb: tlb)
        (outcome.series, outcome.untimedNs) = (samples, sampleNs)
        return outcome
    }
}
