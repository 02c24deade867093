/// flush_tlb_all and flush_tlb_kernel_range (spec §4), on the machine's TLBI features.
/// A primitive like `PageTable`'s own: the create path's fixmap unmaps use it too.
/// Every barrier and TLBI goes through `PageTable`'s instrumented primitives, with the
/// invalidated VAs reported to any attached TLB model.
public struct TLBFlush: Sendable, Equatable {
    /// FEAT_TLBIRANGE: `tlbi rvaale1is` is available.
    public var rangeSupport: Bool
    /// ARM64_WORKAROUND_REPEAT_TLBI, in the generation the kernel has.
    public var repeatTLBI: RepeatTLBI

    /// MAX_DVM_OPS: without range ops, flushing this many pages or more flushes everything.
    public static let maxDVMOps: UInt64 = 512
    /// MAX_TLBI_RANGE_PAGES = __TLBI_RANGE_PAGES(31, 3): what the largest range op covers.
    public static let maxTLBIRangePages: UInt64 = 1 << 21

    public init(rangeSupport: Bool = false, repeatTLBI: RepeatTLBI = .off) {
        self.rangeSupport = rangeSupport
        self.repeatTLBI = repeatTLBI
    }

    /// flush_tlb_all: `dsb ishst`, `tlbi vmalle1is`, completion, `isb`.
    public func flushAll(_ pt: PageTable) {
        pt.dsbIshst()
        tlbi(pt, .all)
        syncS1ish(pt)
        pt.isb()
    }

    /// flush_tlb_kernel_range(start, end).
    public func flushKernelRange(_ pt: PageTable, from start: UInt64, to end: UInt64) {
        let page = pt.geometry.pageSize
        var va = alignDown(start, page)
        var pages = (alignUp(end, page) &- va) >> UInt64(pt.geometry.pageShift)
        if (!rangeSupport && pages >= Self.maxDVMOps) || pages > Self.maxTLBIRangePages {
            return flushAll(pt)
        }
        pt.dsbIshst()
        if !rangeSupport && repeatTLBI != .perTLBI {
            // Only per-page ops: one batch, counted and observed as the loop below would.
            pt.tlbiPages(from: va, count: Int(pages), pageSize: page)
            pages = 0
        }
        // __flush_tlb_range_op: scale runs 3 → 0 (after scale 0 at most one page is
        // left); a single page uses the plain op.
        var scale = 3
        while pages > 0 {
            if !rangeSupport || pages == 1 {
                tlbi(pt, .page(va: va))
                va &+= page
                pages -= 1
                continue
            }
            let shift = UInt64(5 * scale + 1)
            let n = min(pages, 32 << shift) >> shift  // num + 1, at most 32
            if n > 0 {
                tlbi(pt, .range(va: va, pages: n << shift))
                va &+= (n << shift) * page
                pages -= n << shift
            }
            scale -= 1
        }
        syncS1ish(pt)
        pt.isb()
    }

    /// __flush_tlb_kernel_pgtable(va), after a table is unhooked: `dsb ishst`,
    /// `tlbi vaae1is` (all levels, so the walk caches drop the table), the completing
    /// `dsb ish`, `isb`.
    public func flushKernelPgtable(_ pt: PageTable, at va: UInt64) {
        pt.dsbIshst()
        tlbi(pt, .pageAllLevels(va: alignDown(va, pt.geometry.pageSize)))
        syncS1ish(pt)
        pt.isb()
    }

    /// One TLBI as __tlbi issues it: before a8f78680ee6b the workaround repeats it.
    private func tlbi(_ pt: PageTable, _ op: TLBInvalidation) {
        pt.tlbi(op)
        if repeatTLBI == .perTLBI {
            pt.dsbIsh()
            pt.tlbi(op)
        }
    }

    /// The `dsb ish` completing a batch of broadcast stage-1 TLBIs (__tlbi_sync_s1ish
    /// since a8f78680ee6b): per-sync adds one `tlbi vale1is, xzr` and another `dsb ish`.
    private func syncS1ish(_ pt: PageTable) {
        pt.dsbIsh()
        if repeatTLBI == .perSync {
            pt.tlbi(.syncRepeat)
            pt.dsbIsh()
        }
    }
}

/// ARM64_WORKAROUND_REPEAT_TLBI (spec §4): which generation of the workaround runs.
public enum RepeatTLBI: String, Sendable, CaseIterable {
    /// Not needed by the CPU (or not built in).
    case off
    /// Up to a8f78680ee6b: __tlbi follows every TLBI with `dsb ish` and the same TLBI.
    case perTLBI = "per-tlbi"
    /// Commit a8f78680ee6b (v7.0, merged around -rc2; stable 6.18.y, 6.12.y, 6.1.y, 5.10.y…):
    /// one extra `tlbi vale1is, xzr` + `dsb ish` after the `dsb ish` completing a batch.
    case perSync = "per-sync"
}
