import PageTableModel
import LinearMap
import SplitWalkers

/// The early set_memory_decrypted calls of a realm (Arm CCA) guest, in the boot phases the
/// kernel makes them (arch/arm64/mm/pageattr.c __set_memory_enc_dec; f12b435de2f2):
/// - swiotlb_update_mem_attributes() shares the whole default bounce buffer. Before
///   f12b435de2f2 it ran at the end of arch_mm_preinit(), before the page allocator; the
///   commit moved it into mem_init(), after page_alloc_available is set.
/// - GIC ITS init (init_IRQ, still on the boot CPU alone): each table the ITS allocates
///   through its_alloc_pages_node() is shared on its own, one call per 64 KiB table.
/// - smp_cpus_done(): on a mixed system (a secondary without BBML2) a block-mapped linear
///   map is repainted to PTEs; the capabilities are final from here on.
public struct RealmBoot {
    /// The shared buffers, as linear-map VAs.
    public struct Buffers: Sendable, Equatable {
        public var swiotlb: Range<UInt64>
        public var its: [Range<UInt64>]
        public init(swiotlb: Range<UInt64>, its: [Range<UInt64>]) { (self.swiotlb, self.its) = (swiotlb, its) }
    }

    /// What the calls returned.
    public struct Outcome: Sendable, Equatable {
        /// set_memory_decrypted calls made; the calls (and a repaint) that failed.
        public var calls = 0, failed = 0
    }

    /// Each ITS table its_alloc_pages_node() shares (ITS_CMD_QUEUE_SZ is 64 KiB; the
    /// LPI property and pending tables and the BASER tables are taken as 64 KiB too).
    public static let itsTableBytes: UInt64 = 64 << 10
    /// swiotlb's default buffer lies below the 32-bit DMA limit (memblock_alloc_low).
    static let dmaLimit: UInt64 = 1 << 32

    /// Where the buffers land: swiotlb top-down below PA 4 GiB in ordinary memory (as
    /// memblock_alloc_low places it when nothing else was allocated above it first), the ITS
    /// tables at `seed`-chosen 64 KiB-aligned places of the rest, as the page allocator
    /// might hand them out.
    public static func place(in layout: MachineLayout, swiotlbBytes: UInt64, itsBytes: UInt64,
                             seed: UInt64) throws(LayoutError) -> Buffers {
        let page: UInt64 = 4096
        let size = alignUp(swiotlbBytes, page)
        guard let piece = layout.ordinaryPieces.last(where: { $0.start < dmaLimit && min($0.end, dmaLimit) - $0.start >= size }) else {
            throw LayoutError("--swiotlb-bytes: no ordinary memory below PA 4 GiB holds a \(ByteSize.format(size)) buffer; use a smaller size")
        }
        let top = min(piece.end, dmaLimit)
        let swiotlb = layout.va(ofPA: top - size)..<layout.va(ofPA: top)
        // The 64K slots beside the swiotlb buffer, as runs of consecutive slots (never the
        // slots themselves: a 4T layout has 2^26 of them).
        var runs: [(start: UInt64, count: Int)] = []
        for p in layout.ordinaryPieces {
            let first = layout.va(ofPA: alignUp(p.start, itsTableBytes))
            let end = layout.va(ofPA: p.end)
            guard end > first else { continue }
            let count = Int((end - first) / itsTableBytes)
            // The slots overlapping the buffer split the run in two.
            let cut = swiotlb.lowerBound < first ? 0 : min(count, Int((swiotlb.lowerBound - first) / itsTableBytes))
            let resume = swiotlb.upperBound <= first ? 0 : min(count, Int(alignUp(swiotlb.upperBound - first, itsTableBytes) / itsTableBytes))
            if cut >= resume { runs.append((first, count)); continue }
            if cut > 0 { runs.append((first, cut)) }
            if resume < count { runs.append((first + UInt64(resume) * itsTableBytes, count - resume)) }
        }
        func slot(_ i: Int) -> Range<UInt64> {
            var i = i
            for run in runs {
                if i < run.count { let va = run.start + UInt64(i) * itsTableBytes; return va..<va + itsTableBytes }
                i -= run.count
            }
            preconditionFailure("slot index past the runs")
        }
        let slotCount = runs.reduce(0) { $0 + $1.count }
        let tables = Int(alignUp(itsBytes, itsTableBytes) / itsTableBytes)
        guard tables <= slotCount else { throw LayoutError("--its-bytes: \(tables) tables of 64K do not fit beside the swiotlb buffer; use a smaller size") }
        var rng = SplitMix64(seed: seed)
        var its: [Range<UInt64>] = []
        // A partial Fisher–Yates shuffle over slot indices, the moved ones kept sparsely:
        // distinct slots, deterministic for the seed.
        var moved: [Int: Int] = [:]
        for k in 0..<tables {
            let j = k + Int(rng.next().multipliedFullWidth(by: UInt64(slotCount - k)).high)
            let (atK, atJ) = (moved[k] ?? k, moved[j] ?? j)
            (moved[k], moved[j]) = (atJ, atK)
            its.append(slot(atJ))
        }
        return Buffers(swiotlb: swiotlb, its: its)
    }

    public let pt: PageTable
    public let layout: MachineLayout
    /// The kernel: W1's version, present-invalid leaves, the boot and system BBML2.
    public let context: KernelContext

    public init(pt: PageTable, layout: MachineLayout, context: KernelContext) {
        (self.pt, self.layout, self.context) = (pt, layout, context)
    }

    /// The boot's calls in order; a failed call is counted and boot goes on, as the kernel's
    /// callers only WARN (swiotlb) or drop the table (ITS).
    public func run(_ buffers: Buffers) -> Outcome {
        var outcome = Outcome()
        func decrypt(_ range: Range<UInt64>, in phase: BootPhase) {
            var c = context
            c.bootPhase = phase
            let perms = Permissions(pt: pt, context: c)
            outcome.calls += 1
            if (try? perms.setMemoryDecrypted(range.lowerBound, pages: Int(range.count / 4096))) == nil { outcome.failed += 1 }
        }
        let swiotlbPhase: BootPhase = context.leafSplit == .f12b435de2f2 ? .beforeSMP : .archMMPreinit
        decrypt(buffers.swiotlb, in: swiotlbPhase)
        for table in buffers.its { decrypt(table, in: .beforeSMP) }
        if context.linearMapRequiresBBML2 && !context.systemBBML2 {
            var c = context
            c.bootPhase = .bringingUpSMP(cpus: 2)
            if (try? Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .pagewalk, context: c)) == nil { outcome.failed += 1 }
        }
        return outcome
    }
}
