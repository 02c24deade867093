import PageTableModel
import SplitWalkers

/// Models v6.18's permission changes (arch/arm64/mm/pageattr.c): change_memory_common
/// for the set_memory_ro/rw/x/nx/rox entry points, which take vmalloc areas only (spec §6,
/// "Which addresses each entry point takes"); __change_memory_common and update_range_prot
/// (split the range, then rewrite its leaves in lazy mode) for them and for the entry points
/// that take linear-map addresses (set_memory_valid, set_direct_map_*_noflush).
public struct Permissions {
    public let pt: PageTable
    /// The split before the rewrite (W1 in v6.18).
    public let walker: any SplitWalker
    /// The kernel the calls run in: the walker's, the rewrite's lazy MMU and the flush's.
    public let context: KernelContext
    /// The vmalloc areas the set_memory_* calls and vfree look up, and the lazy-purge list.
    public let vmalloc: VmallocSpace

    /// The entry points on `context`, splitting with the walker `kind`.
    public init(pt: PageTable, context: KernelContext = KernelContext(), walker kind: WalkerKind = .leaf,
                vmalloc: VmallocSpace = VmallocSpace()) {
        self.init(pt: pt, context: context, walker: makeWalker(kind, options: WalkerOptions(context: context)), vmalloc: vmalloc)
    }

    private init(pt: PageTable, context: KernelContext, walker: any SplitWalker, vmalloc: VmallocSpace) {
        self.pt = pt
        self.walker = walker
        self.context = context
        self.vmalloc = vmalloc
    }

    /// The flush `context`'s machine runs.
    public var flush: TLBFlush { TLBFlush(context) }

    // MARK: Entry points on vmalloc areas

    /// set_memory_ro: drop WRITE, add RDONLY. EINVAL unless inside one VM_ALLOC area.
    public func setMemoryRO(_ addr: UInt64, pages: Int) throws(KernelError) {
        try changeMemoryArea(addr, pages: pages, .readOnly)
    }

    /// set_memory_rw: add WRITE, drop RDONLY. EINVAL unless inside one VM_ALLOC area.
    public func setMemoryRW(_ addr: UInt64, pages: Int) throws(KernelError) {
        try changeMemoryArea(addr, pages: pages, .readWrite)
    }

    /// set_memory_x: clear PXN (and set PTE_MAYBE_GP, 0 without BTI).
    public func setMemoryX(_ addr: UInt64, pages: Int) throws(KernelError) {
        try changeMemoryArea(addr, pages: pages, .executable)
    }

    /// set_memory_nx: set PXN (and clear PTE_MAYBE_GP).
    public func setMemoryNX(_ addr: UInt64, pages: Int) throws(KernelError) {
        try changeMemoryArea(addr, pages: pages, .nonExecutable)
    }

    /// set_memory_rox: arm64 has no set_memory_rox of its own, so the generic one runs:
    /// set_memory_ro, then (if that succeeded) set_memory_x.
    public func setMemoryROX(_ addr: UInt64, pages: Int) throws(KernelError) {
        try setMemoryRO(addr, pages: pages)
        try setMemoryX(addr, pages: pages)
    }

    /// change_memory_common: the range must lie in one VM_ALLOC area without
    /// VM_ALLOW_HUGE_VMAP (its size counts the guard page, as area->size does), else EINVAL
    /// — a linear-map address is refused. With rodata_full and a change of RDONLY, the
    /// linear alias of every page backing the area is changed first, one page per call
    /// (their errors ignored, as the kernel does); then vm_unmap_aliases(); then the range.
    public func changeMemoryArea(_ addr: UInt64, pages: Int, _ change: ProtChange) throws(KernelError) {
        let page = pt.geometry.pageSize
        let start = alignDown(addr, page)  // the kernel WARNs on an unaligned address
        // A negative count wraps to a huge size in the kernel: past any area.
        let (size, o1) = UInt64(truncatingIfNeeded: pages).multipliedReportingOverflow(by: page)
        let (end, o2) = start.addingReportingOverflow(size)
        guard pages >= 0, !o1, !o2, let area = vmalloc.area(containing: addr),
              area.flags.contains(.alloc), !area.flags.contains(.allowHugeVmap),
              end <= area.addr &+ area.size else { throw .einval }
        guard pages > 0 else { return }
        if context.rodataFull && (change.setMask == Descriptor.rdonly || change.clearMask == Descriptor.rdonly) {
            for alias in area.backing { try? changeMemoryCommon(alias, size: page, change) }
        }
        vmUnmapAliases()
        try changeMemoryCommon(start, size: size, change)
    }

    // MARK: Entry points on linear-map addresses

    /// set_memory_valid(addr, pages, enable): only making pages valid needs no TLB flush.
    public func setMemoryValid(_ addr: UInt64, pages: Int, enable: Bool) throws(KernelError) {
        try changeMemoryCommon(addr, size: bytes(pages), enable ? makeValid : makeInvalid)
    }

    /// set_direct_map_invalid_noflush, over `pages` pages: no TLB flush; nothing when
    /// can_set_direct_map() is false.
    public func setDirectMapInvalidNoflush(_ addr: UInt64, pages: Int = 1) throws(KernelError) {
        guard canSetDirectMap else { return }
        try updateRangeProt(addr, size: bytes(pages), makeInvalid)
    }

    /// set_direct_map_default_noflush, over `pages` pages: VALID|WRITE, no RDONLY; no flush.
    public func setDirectMapDefaultNoflush(_ addr: UInt64, pages: Int = 1) throws(KernelError) {
        guard canSetDirectMap else { return }
        try updateRangeProt(addr, size: bytes(pages), makeValid.adding(set: Descriptor.write, clear: Descriptor.rdonly))
    }

    /// set_memory_decrypted in a realm (realm_set_memory_decrypted: sharing pages with the
    /// host): __set_memory_enc_dec, and a WARN when it fails.
    public func setMemoryDecrypted(_ addr: UInt64, pages: Int) throws(KernelError) {
        do { try setMemoryEncDec(addr, pages: pages, encrypt: false) } catch { pt.warn(); throw error }
    }

    /// set_memory_encrypted in a realm (realm_set_memory_encrypted: taking pages back),
    /// WARNing when it fails.
    public func setMemoryEncrypted(_ addr: UInt64, pages: Int) throws(KernelError) {
        do { try setMemoryEncDec(addr, pages: pages, encrypt: true) } catch { pt.warn(); throw error }
    }

    /// __set_memory_enc_dec in a realm: break the mapping (invalid, PROT_NS_SHARED changed,
    /// TLB flushed), the RSI call that changes the IPA state (no page-table work), then make
    /// it valid again (no flush). EINVAL for an address outside the linear map.
    public func setMemoryEncDec(_ addr: UInt64, pages: Int, encrypt: Bool) throws(KernelError) {
        let size = bytes(pages)
        guard addr >= LinearMapRange.start && addr < LinearMapRange.end else { throw .einval }  // __is_lm_address
        let shared = ProtChange(set: encrypt ? 0 : Descriptor.nsShared, clear: encrypt ? Descriptor.nsShared : 0)
        try changeMemoryCommon(addr, size: size, makeInvalid.adding(set: shared.setMask, clear: shared.clearMask))
        try changeMemoryCommon(addr, size: size, makeValid)
    }

    /// The masks that make entries valid: VALID before 15bfba1ad77f; then
    /// PTE_PRESENT_VALID_KERNEL (VALID | PTE_MAYBE_NG) set and PTE_PRESENT_INVALID cleared.
    public var makeValid: ProtChange {
        context.presentInvalid ? ProtChange(set: Descriptor.valid | maybeNG, clear: Descriptor.presentInvalid) : .valid
    }

    /// The masks that make entries invalid: the reverse of `makeValid`.
    public var makeInvalid: ProtChange { ProtChange(set: makeValid.clearMask, clear: makeValid.setMask) }

    /// PTE_MAYBE_NG: nG when the kernel uses non-global mappings.
    private var maybeNG: UInt64 { context.ngMappings ? Descriptor.nG : 0 }

    /// can_set_direct_map(): rodata_full, debug_pagealloc (it forces PTE mappings), a
    /// late-init kfence pool (no early pool carved out at boot) or a realm (not modelled).
    public var canSetDirectMap: Bool {
        context.rodataFull || context.forcePTEMapping || context.kfencePool == nil
    }

    // MARK: The common path

    /// __change_memory_common: the update, then a TLB flush of the range unless the masks
    /// are exactly `makeValid` (an invalid entry is never cached). The flush runs even when
    /// the update failed, as in the kernel.
    public func changeMemoryCommon(_ start: UInt64, size: UInt64, _ change: ProtChange) throws(KernelError) {
        var failure: KernelError?
        do { try updateRangeProt(start, size: size, change) } catch { failure = error }
        if change != makeValid { flush.flushKernelRange(pt, from: start, to: start &+ size) }
        if let failure { throw failure }
    }

    /// update_range_prot: split [start, start + size) so no block or CONT group straddles
    /// its ends (a failed split WARNs and skips the rewrite), then rewrite every leaf in
    /// it, batched in lazy mode.
    public func updateRangeProt(_ start: UInt64, size: UInt64, _ change: ProtChange) throws(KernelError) {
        do { try walker.split(pt, from: start, to: start &+ size) } catch {
            pt.warn()
            throw error
        }
        var pageattr = PageAttr(change: change)
        try pt.inLazyMMU(context.lazyMMU) { () throws(KernelError) in
            try pt.walkPageRange(from: start, to: start &+ size, presentInvalid: context.presentInvalid, &pageattr)
        }
    }

    private func bytes(_ pages: Int) -> UInt64 { UInt64(pages) * pt.geometry.pageSize }
}

/// pageattr_ops, for walk_kernel_page_table_range_lockless: a block must be covered
/// exactly (WARN, EINVAL otherwise) and is rewritten whole; PTEs through the normal write.
/// The walker hands over only present blocks: an invalid block that lacks
/// PTE_PRESENT_INVALID is skipped (pXd_sect() before 15bfba1ad77f).
private struct PageAttr: PageWalkCallbacks {
    let change: ProtChange

    func pudEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                  _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction {
        try block(.pud, pt, table, i, entry, addr, next)
    }

    func pmdEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                  _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction {
        try block(.pmd, pt, table, i, entry, addr, next)
    }

    /// pte_entry over a table's run: the generic walker hands every PTE of the range
    /// over, absent ones included (those stay absent); the rest are rewritten.
    func pteEntries(_ pt: PageTable, _ table: TablePage, from i: Int, count: Int,
                    _ addr: UInt64) throws(KernelError) {
        pt.updatePTEs(table, from: i, count: count, set: change.setMask, clear: change.clearMask)
    }

    private func block(_ level: Level, _ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                       _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction {
        guard !entry.isTable else { return .descend }
        guard next &- addr == pt.geometry.size(level) else {
            pt.warn()  // WARN_ON_ONCE: the range splits a block nobody split
            throw .einval
        }
        pt.set(level, table, i, change.applied(to: entry))
        return .skipSubtree
    }
}

/// The set and clear masks of a permission change (struct page_change_data).
public struct ProtChange: Sendable, Equatable {
    public var setMask: UInt64
    public var clearMask: UInt64
    public init(set: UInt64, clear: UInt64) { setMask = set; clearMask = clear }

    public static let readOnly = ProtChange(set: Descriptor.rdonly, clear: Descriptor.write)
    public static let readWrite = ProtChange(set: Descriptor.write, clear: Descriptor.rdonly)
    /// set_memory_valid's masks before 15bfba1ad77f (`Permissions.makeValid` has both).
    public static let valid = ProtChange(set: Descriptor.valid, clear: 0)
    /// set_memory_x / set_memory_nx: PTE_MAYBE_GP is PTE_GP only on a BTI kernel; 0 here.
    public static let executable = ProtChange(set: 0, clear: Descriptor.pxn)
    public static let nonExecutable = ProtChange(set: Descriptor.pxn, clear: 0)

    /// set_pageattr_masks.
    @inlinable public func applied(to d: Descriptor) -> Descriptor { Descriptor(raw: (d.raw & ~clearMask) | setMask) }
    /// Effective attributes after the change (what the oracle's `adjust` expects).
    public func applied(toAttributes a: UInt64) -> UInt64 { (a & ~clearMask) | setMask }
    /// These masks with more bits set and cleared.
    public func adding(set: UInt64, clear: UInt64) -> ProtChange { ProtChange(set: setMask | set, clear: clearMask | clear) }
}
