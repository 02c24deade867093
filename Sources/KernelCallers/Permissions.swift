import PageTableModel
import SplitWalkers

/// Models v6.18's linear-map permission changes: __change_memory_common and
/// update_range_prot (split the range, then rewrite its leaves in lazy mode), and the
/// set_memory_* / set_direct_map_*_noflush entry points built on them (spec §6, Callers).
///
/// set_memory_ro/rw are applied to the linear range itself, as the kernel does for the
/// linear alias of a physically contiguous area.
public struct Permissions {
    public let pt: PageTable
    /// The split before the rewrite (W1 in v6.18).
    public let walker: any SplitWalker
    public let flush: TLBFlush
    /// The kernel the calls run in: the walker's, the rewrite's lazy MMU and the flush's.
    public let context: KernelContext

    /// The entry points on `context`, splitting with the walker `kind`.
    public init(pt: PageTable, context: KernelContext = KernelContext(), walker kind: WalkerKind = .leaf) {
        self.init(pt: pt, context: context, walker: makeWalker(kind, options: WalkerOptions(context: context)))
    }

    /// The entry points with a walker configured by the caller (it must run on `context`).
    public init(pt: PageTable, context: KernelContext, walker: any SplitWalker) {
        self.pt = pt
        self.walker = walker
        self.flush = TLBFlush(context)
        self.context = context
    }

    // MARK: Entry points

    /// set_memory_ro: drop WRITE, add RDONLY.
    public func setMemoryRO(_ addr: UInt64, pages: Int) throws(KernelError) {
        guard pages > 0 else { return }
        try changeMemoryCommon(addr, size: bytes(pages), .readOnly)
    }

    /// set_memory_rw: add WRITE, drop RDONLY.
    public func setMemoryRW(_ addr: UInt64, pages: Int) throws(KernelError) {
        guard pages > 0 else { return }
        try changeMemoryCommon(addr, size: bytes(pages), .readWrite)
    }

    /// set_memory_valid(addr, pages, enable): only making pages valid needs no TLB flush.
    public func setMemoryValid(_ addr: UInt64, pages: Int, enable: Bool) throws(KernelError) {
        try changeMemoryCommon(addr, size: bytes(pages), enable ? .valid : .invalid)
    }

    /// set_direct_map_invalid_noflush, over `pages` pages: no TLB flush.
    public func setDirectMapInvalidNoflush(_ addr: UInt64, pages: Int = 1) throws(KernelError) {
        try updateRangeProt(addr, size: bytes(pages), .invalid)
    }

    /// set_direct_map_default_noflush, over `pages` pages: VALID|WRITE, no RDONLY; no flush.
    public func setDirectMapDefaultNoflush(_ addr: UInt64, pages: Int = 1) throws(KernelError) {
        try updateRangeProt(addr, size: bytes(pages), .directMapDefault)
    }

    // MARK: The common path

    /// __change_memory_common: the update, then a TLB flush of the range unless the change
    /// only sets VALID (an invalid entry is never cached). The flush runs even when the
    /// update failed, as in the kernel.
    public func changeMemoryCommon(_ start: UInt64, size: UInt64, _ change: ProtChange) throws(KernelError) {
        var failure: KernelError?
        do { try updateRangeProt(start, size: size, change) } catch { failure = error }
        if change.needsFlush { flush.flushKernelRange(pt, from: start, to: start &+ size) }
        if let failure { throw failure }
    }

    /// update_range_prot: split [start, start + size) so no block or CONT group straddles
    /// its ends, then rewrite every leaf in it, batched in lazy mode.
    public func updateRangeProt(_ start: UInt64, size: UInt64, _ change: ProtChange) throws(KernelError) {
        try walker.split(pt, from: start, to: start &+ size)
        var pageattr = PageAttr(change: change)
        try pt.inLazyMMU(context.lazyMMU) { () throws(KernelError) in
            try pt.walkPageRange(from: start, to: start &+ size, &pageattr)
        }
    }

    private func bytes(_ pages: Int) -> UInt64 { UInt64(pages) * pt.geometry.pageSize }
}

/// pageattr_ops, for walk_kernel_page_table_range_lockless: a block must be covered
/// exactly (EINVAL otherwise) and is rewritten whole; PTEs through the normal write.
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
        guard next &- addr == pt.geometry.size(level) else { throw .einval }
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
    public static let valid = ProtChange(set: Descriptor.valid, clear: 0)
    public static let invalid = ProtChange(set: 0, clear: Descriptor.valid)
    public static let directMapDefault = ProtChange(set: Descriptor.valid | Descriptor.write, clear: Descriptor.rdonly)

    /// set_pageattr_masks.
    @inlinable public func applied(to d: Descriptor) -> Descriptor { Descriptor(raw: (d.raw & ~clearMask) | setMask) }
    /// Effective attributes after the change (what the oracle's `adjust` expects).
    public func applied(toAttributes a: UInt64) -> UInt64 { (a & ~clearMask) | setMask }
    /// Only setting VALID needs no TLB maintenance.
    public var needsFlush: Bool { setMask != Descriptor.valid || clearMask != 0 }
}
