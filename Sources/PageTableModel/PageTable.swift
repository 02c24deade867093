/// A simulated kernel page table (swapper_pg_dir and everything below it) with the
/// instrumented primitives of spec §3. Every barrier, TLBI and descriptor store the
/// suite reports is counted here, as the primitive runs.
public final class PageTable {
    public let geometry: Geometry
    public let allocator: TableAllocator
    public let root: TablePage
    public var counters = Counters()
    public var lazyMMU: LazyMMUState
    public var context: ExecutionContext = .task
    /// TLB maintenance reaches attached TLB models through this hook.
    public var tlbObserver: ((TLBInvalidation) -> Void)?
    /// Whether new table descriptors carry TABLE_AF (bit 10): v6.18 does; 6.12 and earlier
    /// leave it clear (FEAT_HAFT support came in between, v6.13 as far as we know). An
    /// attribute only: no count depends on it.
    public var tableAF = true

    public init(geometry: Geometry = .fourK, nesting: NestingPolicy = .tolerant,
                failure: FailurePolicy = .never) throws(AllocatorError) {
        self.geometry = geometry
        allocator = try TableAllocator(geometry: geometry, failure: failure)
        root = allocator.allocateRoot()
        lazyMMU = LazyMMUState(policy: nesting)
    }

    // MARK: Barriers

    /// One `dsb ishst` + `isb`.
    @inlinable public func emit() {
        counters.dsbIshst += 1
        counters.isb += 1
    }

    /// queue_pte_barriers: defer the barrier pair while lazy mode is active for this
    /// context, else emit. (arm64 tests PENDING before setting it only to spare an atomic
    /// op; the flag ends up set either way.)
    @inlinable public func queue() {
        if isLazyActive { lazyMMU.pending = true } else { emit() }
    }

    /// `n` queues in a row: one pending flag in lazy mode, else `n` barrier pairs.
    @inlinable public func queue(times n: Int) {
        guard n > 0 else { return }
        if isLazyActive {
            lazyMMU.pending = true
        } else {
            counters.dsbIshst += n
            counters.isb += n
        }
    }

    /// is_lazy_mmu_mode_active (v7.0), or TIF_LAZY_MMU outside interrupt context before.
    @inlinable public var isLazyActive: Bool { context == .task && lazyMMU.taskActive }

    /// An explicit `dsb ishst` (table zeroing, split_pmd/split_pud): never batched.
    @inlinable public func dsbIshst() { counters.dsbIshst += 1 }
    @inlinable public func dsbIsh() { counters.dsbIsh += 1 }
    @inlinable public func isb() { counters.isb += 1 }

    // MARK: Descriptor writes

    /// __set_pte_nosync: a plain store.
    @inlinable public func writePTENosync(_ table: TablePage, _ i: Int, _ value: Descriptor) {
        table[i] = value
        counters.pteWritten += 1
    }

    /// __set_pte: queues a barrier only for a valid kernel entry.
    @inlinable public func writePTE(_ table: TablePage, _ i: Int, _ value: Descriptor) {
        table[i] = value
        counters.pteWritten += 1
        if value.isValidKernel { queue() }
    }

    /// set_ptes: `count` plain stores whose output address advances by `step`, then one
    /// queue decided on the last value.
    @inlinable public func setPTEs(_ table: TablePage, from i: Int, count: Int, first: Descriptor, step: UInt64) {
        guard count > 0 else { return }
        table.fill(from: i, count: count, first: first.raw, step: step)
        counters.pteWritten += count
        if table[i + count - 1].isValidKernel { queue() }
    }

    /// A page-attribute walk's pte_entry over `count` entries from `i`: each is read and
    /// rewritten as `(old & ~clear) | set` through __set_pte — pte_none entries included,
    /// as pageattr_pte_entry does (an absent entry gets the set mask stored, which is no
    /// valid kernel entry, so no barrier). Counted as those reads and `writePTE`s; the loop
    /// keeps the counts in registers.
    @inlinable public func updatePTEs(_ table: TablePage, from i: Int, count: Int, set: UInt64, clear: UInt64) {
        var queued = 0
        var k = i
        // Wrapping and branch-free: no overflow check or branch per entry.
        while k < i &+ count {
            let new = Descriptor(raw: (table[k].raw & ~clear) | set)
            table[k] = new
            queued &+= new.isValidKernel ? 1 : 0
            k &+= 1
        }
        counters.entriesVisited += count
        counters.pteWritten += count
        queue(times: queued)
    }

    /// The create path's batched PTE fill: `count` nosync stores.
    @inlinable public func writePTEsNosync(_ table: TablePage, from i: Int, count: Int, first: Descriptor, step: UInt64) {
        table.fill(from: i, count: count, first: first.raw, step: step)
        counters.pteWritten += count
    }

    /// set_pmd / set_pud: queue when the new value is valid (table or block).
    @inlinable public func setPMD(_ table: TablePage, _ i: Int, _ value: Descriptor) {
        table[i] = value
        counters.pmdWritten += 1
        if value.isValid { queue() }
    }

    @inlinable public func setPUD(_ table: TablePage, _ i: Int, _ value: Descriptor) {
        table[i] = value
        counters.pudWritten += 1
        if value.isValid { queue() }
    }

    /// Level 0 lives in the kernel's root table: always an immediate emit.
    @inlinable public func setPGD(_ table: TablePage, _ i: Int, _ value: Descriptor) {
        table[i] = value
        counters.pgdWritten += 1
        emit()
    }

    /// A root entry stored with a bare WRITE_ONCE (set_swapper_pgd's write through its
    /// FIX_PGD alias): no barrier of its own; the alias's unmap supplies the `dsb ishst`.
    @inlinable public func storePGD(_ table: TablePage, _ i: Int, _ value: Descriptor) {
        table[i] = value
        counters.pgdWritten += 1
    }

    /// The normal (barrier-bearing) write for an entry at `level`.
    @inlinable public func set(_ level: Level, _ table: TablePage, _ i: Int, _ value: Descriptor) {
        switch level {
        case .pgd: setPGD(table, i, value)
        case .pud: setPUD(table, i, value)
        case .pmd: setPMD(table, i, value)
        case .pte: writePTE(table, i, value)
        }
    }

    /// split_pmd / split_pud filling a new table: a normal write of every entry, the output
    /// address advancing by `step`, stored as `fill` says. All share one validity, so the
    /// barrier count is that of one `set` per entry.
    @inlinable public func setAll(_ level: Level, _ table: TablePage, first: Descriptor, step: UInt64, fill: TableFill) {
        let count = geometry.entriesPerTable
        switch fill {
        case .cached: table.fill(from: 0, count: count, first: first.raw, step: step)
        case .streamed: table.stream(count: count, first: first.raw, step: step)
        }
        countSets(level, count, first)
    }

    /// What `count` `set`s of values as valid as `first` count.
    @inlinable func countSets(_ level: Level, _ count: Int, _ first: Descriptor) {
        switch level {
        case .pgd:
            counters.pgdWritten += count
            counters.dsbIshst += count
            counters.isb += count
        case .pud:
            counters.pudWritten += count
            if first.isValid { queue(times: count) }
        case .pmd:
            counters.pmdWritten += count
            if first.isValid { queue(times: count) }
        case .pte:
            counters.pteWritten += count
            if first.isValidKernel { queue(times: count) }
        }
    }

    /// pgd/pud/pmd_populate: install `child` under the entry at `level`.
    @inlinable public func populate(_ level: Level, _ table: TablePage, _ i: Int, child: TablePage, pxnTable: Bool) {
        set(level, table, i, tableEntry(child, pxnTable: pxnTable))
    }

    /// The table descriptor a populate stores for `child`.
    @inlinable public func tableEntry(_ child: TablePage, pxnTable: Bool) -> Descriptor {
        .table(at: child.address, pxnTable: pxnTable, tableAF: tableAF)
    }

    // MARK: Walking

    /// A descent from the root begins.
    @inlinable public func beginWalk() { counters.walks += 1 }

    /// An entry read by a walker.
    @inlinable public func read(_ table: TablePage, _ i: Int) -> Descriptor {
        counters.entriesVisited += 1
        return table[i]
    }

    /// The table an entry at `level` points to, allocated (zeroed, with the create path's
    /// explicit `dsb ishst`) and populated if absent; nil on ENOMEM.
    public func tableBelow(_ level: Level, _ table: TablePage, _ i: Int, kind: AllocationKind,
                           pxnTable: Bool) -> TablePage? {
        let entry = table[i]
        if entry.isValid {
            precondition(entry.isTable, "descending through a block: split it first")
            return TablePage(entry)
        }
        guard let child = allocateTable(level.next, kind) else { return nil }
        child.zero(entries: geometry.entriesPerTable)
        dsbIshst()
        populate(level, table, i, child: child, pxnTable: pxnTable)
        return child
    }

    /// A page-table page from the allocator. A GFP_KERNEL (GFP_PGTABLE_KERNEL) request may
    /// sleep: attempted in atomic context it is a kernel BUG, counted before the outcome.
    public func allocateTable(_ level: Level, _ kind: AllocationKind) -> TablePage? {
        if kind == .kernel && context != .task { counters.sleepingAllocInAtomic += 1 }
        return allocator.allocate(level, kind)
    }

    /// A table zeroed by the page allocator (__GFP_ZERO, as pte_alloc_kernel and friends
    /// get it): no barrier, unlike the create path's zeroing. nil on ENOMEM.
    public func allocateZeroedTable(_ level: Level, _ kind: AllocationKind) -> TablePage? {
        guard let child = allocateTable(level, kind) else { return nil }
        child.zero(entries: geometry.entriesPerTable)
        return child
    }

    /// Zeroing a new table (memset / clear_page): plain stores through whatever mapping
    /// the caller has, neither counted nor ordered. The caller issues the barrier its
    /// kernel code has (an explicit `dsb ishst`, or a fixmap unmap's flush).
    public func clearTable(_ table: TablePage) {
        table.zero(entries: geometry.entriesPerTable)
    }

    /// The fixmap's static PTE table (bm_pte, in the kernel image): the create path's
    /// FIX_PTE / FIX_PMD / FIX_PUD slots live here. Outside the linear map, so no walk,
    /// histogram or verifier sees it; like the root, not a counted allocation. Its stores
    /// go through the same primitives as every other PTE's.
    public private(set) lazy var fixmapTable: TablePage = allocator.allocateRoot()

    /// pgtable_split_lock: a sleeping mutex.
    public func takeSplitLock() {
        counters.splitLockAcquisitions += 1
        if context != .task { counters.sleepingLockInAtomic += 1 }
    }

    /// A WARN_ON that fired.
    public func warn() { counters.warnings += 1 }

    /// A split refused with -EBUSY.
    public func countEBUSY() { counters.ebusyReturns += 1 }

    /// Runs `body` as if in softirq context.
    public func inSoftirq<R>(_ body: () throws -> R) rethrows -> R {
        let saved = context
        context = .softirq
        defer { context = saved }
        return try body()
    }

    // MARK: TLB maintenance

    @inlinable public func tlbi(_ op: TLBInvalidation) {
        switch op {
        case .page: counters.tlbiPage += 1
        case .range: counters.tlbiRange += 1
        case .all: counters.tlbiAll += 1
        case .syncRepeat: counters.tlbiSyncRepeat += 1
        case .pageAllLevels: counters.tlbiPageAllLevels += 1
        }
        tlbObserver?(op)
    }
}

extension PageTable {
    /// `count` `tlbi vaale1is`, one per page from `va`: counted as `count` `tlbi(.page)`
    /// calls would be, and each page still reaches an attached TLB model, in order.
    @inlinable public func tlbiPages(from va: UInt64, count: Int, pageSize: UInt64) {
        guard count > 0 else { return }
        counters.tlbiPage += count
        guard let observer = tlbObserver else { return }
        var page = va
        for _ in 0..<count {
            observer(.page(va: page))
            page &+= pageSize
        }
    }
}

/// How a new table's entries are stored: a host-performance choice that no counter sees.
public enum TableFill: Sendable {
    /// Plain stores: the table stays in cache for a caller that reads it next.
    case cached
    /// Streaming stores, for a table nothing reads soon (a repaint's PTE tables): no
    /// read-for-ownership, as memset's large-size path. Splits use them only on a recycled
    /// page (`TableAllocator.recycledPages`).
    case streamed
}

/// One TLBI instruction, as the TLB model sees it.
public enum TLBInvalidation: Equatable, Sendable {
    /// `tlbi vaale1is` for one page.
    case page(va: UInt64)
    /// `tlbi rvaale1is` for `pages` pages from `va`.
    case range(va: UInt64, pages: UInt64)
    /// `tlbi vmalle1is`.
    case all
    /// `tlbi vale1is, xzr`: REPEAT_TLBI per-sync's extra TLBI (VA 0, ASID 0, which no
    /// kernel mapping uses).
    case syncRepeat
    /// `tlbi vaae1is` for one page: every level's entries for the VA, walk caches
    /// included (__flush_tlb_kernel_pgtable, after a table is unhooked).
    case pageAllLevels(va: UInt64)
}
